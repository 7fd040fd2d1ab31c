"""Where an action keeps its F-curves: in the channel bag of a slot (Blender 4.4+) or on the action itself."""
from __future__ import annotations


def action_fcurves(action, slot=None) -> list:
    """The F-curves of ``slot`` in ``action`` (default: its first object slot); [] when there are none."""
    if not hasattr(action, "slots"):
        return list(getattr(action, "fcurves", []))  # Blender 4.2/4.3
    from bpy_extras.anim_utils import action_get_channelbag_for_slot

    slot = slot or next((s for s in action.slots if s.target_id_type == "OBJECT"), None)
    bag = action_get_channelbag_for_slot(action, slot) if slot is not None else None
    return list(bag.fcurves) if bag else []


def writable_fcurves(action, obj):
    """The F-curve collection of ``obj``'s slot in ``action``, creating the slot where Blender has them."""
    if not hasattr(action, "slots"):
        return action.fcurves
    from bpy_extras.anim_utils import action_ensure_channelbag_for_slot

    anim = obj.animation_data
    slot = anim.action_slot
    if slot is None:
        slot = action.slots.new("OBJECT", obj.name)
        anim.action_slot = slot
    return action_ensure_channelbag_for_slot(action, slot).fcurves
