"""Edit words: the words of the last generation as editable lines in a Text, which Generate then uses."""
import bpy

TEXT_NAME = "OpenHuman words"


class OPENHUMAN_OT_edit_words(bpy.types.Operator):
    """Put the words of the last generation in a text ('start end word' lines) to correct them; Generate then
    uses the corrected words"""

    bl_idname = "openhuman.edit_words"
    bl_label = "Edit words"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from ..engine.speech.word_lines import format_word_lines
        from ..engine.speech.words_cache import MemoryWordsCache

        s = context.scene.openhuman
        words = MemoryWordsCache.from_json(s.words_cache).last_words()
        if not words:
            self.report({"ERROR"}, "No words yet: Generate once, then correct its words here")
            return {"CANCELLED"}
        text = bpy.data.texts.get(TEXT_NAME) or bpy.data.texts.new(TEXT_NAME)
        text.from_string(format_word_lines(words))
        s.words_text = text
        self.report({"INFO"}, f"{len(words)} words in the text '{text.name}' (Text Editor): correct them and "
                              "Generate again")
        return {"FINISHED"}


class OPENHUMAN_OT_forget_edited_words(bpy.types.Operator):
    """Stop using the edited words: Generate finds the words from the transcript or the speech again"""

    bl_idname = "openhuman.forget_edited_words"
    bl_label = "Stop using edited words"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        context.scene.openhuman.words_text = None
        return {"FINISHED"}
