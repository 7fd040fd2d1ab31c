"""Takes: several variations of one Generate as actions of the armature; play any with one click,
keep the one you like (the others are deleted)."""
from __future__ import annotations

import bpy

GROUP = "openhuman_take_group"
NUMBER = "openhuman_take"


def mark_takes(arm, actions) -> None:
    """Label the actions as takes 1…N of one group and play take 1 (each keeps a user: the NLA stash)."""
    group = actions[0].name
    for k, action in enumerate(actions, 1):
        action[GROUP], action[NUMBER] = group, k
    play(arm, actions[0])


def takes_of(arm) -> list:
    """The takes of the group the armature's action belongs to, in order (empty when it is no take)."""
    anim = arm.animation_data if arm else None
    action = anim.action if anim else None
    group = action.get(GROUP) if action else None
    if group is None:
        return []
    return sorted((a for a in bpy.data.actions if a.get(GROUP) == group), key=lambda a: a.get(NUMBER, 0))


def play(arm, action) -> None:
    """Put the action on the armature; the one it played stays in the NLA stash (so it keeps a user)."""
    from .rig_writer import stash_action

    anim = arm.animation_data or arm.animation_data_create()
    stash_action(arm)
    anim.action = action
    if hasattr(action, "slots") and action.slots and anim.action_slot is None:
        anim.action_slot = action.slots[0]


class OPENHUMAN_OT_play_take(bpy.types.Operator):
    """Put this take on the armature"""

    bl_idname = "openhuman.play_take"
    bl_label = "Play take"
    bl_options = {"REGISTER", "UNDO"}

    action: bpy.props.StringProperty()

    def execute(self, context):
        arm = context.scene.openhuman.armature or context.active_object
        action = bpy.data.actions.get(self.action)
        if arm is None or action is None or action not in takes_of(arm):
            self.report({"ERROR"}, f"no take '{self.action}' of this armature's generation")
            return {"CANCELLED"}
        play(arm, action)
        return {"FINISHED"}


class OPENHUMAN_OT_keep_take(bpy.types.Operator):
    """Keep the take the armature plays now and delete the other takes of the same Generate"""

    bl_idname = "openhuman.keep_take"
    bl_label = "Keep this take"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        arm = context.scene.openhuman.armature or context.active_object
        takes = takes_of(arm)
        if not takes:
            self.report({"ERROR"}, "the armature does not play a take: generate with Takes above 1")
            return {"CANCELLED"}
        kept = arm.animation_data.action
        anim = arm.animation_data
        for track in list(anim.nla_tracks):  # the other takes' stash strips go with them
            if any(strip.action in takes and strip.action != kept for strip in track.strips):
                anim.nla_tracks.remove(track)
        for action in takes:
            if action != kept:
                bpy.data.actions.remove(action)
        del kept[GROUP], kept[NUMBER]
        self.report({"INFO"}, f"kept '{kept.name}'; the other {len(takes) - 1} takes are deleted")
        return {"FINISHED"}
