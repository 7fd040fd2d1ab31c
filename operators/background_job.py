"""Work on a thread while Blender stays responsive: progress in the panel, Esc or Cancel stops it."""
import threading


class BackgroundJob:
    """Mix-in for operators whose work runs off the main thread.

    The work reads and writes only ``self._state`` (progress, stage, done, cancel); the operator's
    ``_finish(context)`` turns the finished state into Blender data on the main thread.
    """

    def _start(self, context, work, stage: str):
        job = context.window_manager.openhuman_job
        job.running, job.stage, job.progress, job.cancel_requested = True, stage, 0.0, False
        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def invoke(self, context, event):
        return self.execute(context)

    def modal(self, context, event):
        job = context.window_manager.openhuman_job
        if event.type == "ESC" or job.cancel_requested:
            self._state["cancel"] = True
        if event.type != "TIMER":
            return {"RUNNING_MODAL"} if event.type == "ESC" else {"PASS_THROUGH"}
        job.progress = 100.0 * self._state["progress"]
        job.stage = self._state.get("stage", job.stage)
        for area in context.screen.areas if context.screen else []:
            if area.type in ("VIEW_3D", "PROPERTIES"):
                area.tag_redraw()
        if not self._state["done"]:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        job.running, job.stage, job.cancel_requested = False, "", False
        return self._finish(context)
