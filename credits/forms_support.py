"""The support request's forms: the maintainer's question, and the contact's response."""

from django import forms

ACKNOWLEDGE, ANSWER = "acknowledge", "answer"


class SupportRequestForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=200,
                              error_messages={"required": "Give the request a subject."})
    message = forms.CharField(
        label="Message", max_length=5000, widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Say what you need help with."},
        help_text="What you are trying to do, what happens, and what you have tried.")

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())


class ResponseForm(forms.Form):
    """Acknowledge (the answer may follow) or answer; an answer needs its text."""

    answer = forms.CharField(label="Your answer", max_length=10000, required=False,
                             widget=forms.Textarea(attrs={"rows": 8}),
                             help_text="Leave it empty to acknowledge the request only.")
    # The page's two buttons carry it; the template renders them, not this field.
    action = forms.CharField(required=False, max_length=20)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action not in (ACKNOWLEDGE, ANSWER):
            self.add_error(None, "Choose whether to acknowledge the request or to answer it.")
        elif action == ANSWER and not data.get("answer", "").strip():
            self.add_error("answer", "Write the answer, or choose to acknowledge only.")
        return data

    def answer_text(self) -> str:
        """The answer to record: none when the contact only acknowledges."""
        return self.cleaned_data["answer"] if self.cleaned_data["action"] == ANSWER else ""
