"""The webhook pages' forms: a new endpoint (its URL and the event types it hears, or all of
them) and the delivery log's filters. The URL's safety (https, no private address) is the
service's rule, checked again there; its refusal comes back on the `url` field."""

from django import forms

from wallets.webhooks.models import EVENT_TYPES, TEST_EVENT_TYPE, WebhookDelivery


class EndpointForm(forms.Form):
    url = forms.URLField(label="URL", max_length=2048, assume_scheme="https",
                         help_text="Where we POST each event: an https:// address your "
                                   "systems answer on.")
    all_events = forms.BooleanField(
        label="Every event type", required=False, initial=True,
        help_text="Including types added later. Uncheck it to choose the types below.")
    events = forms.MultipleChoiceField(label="Or only these", required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       choices=[(t, t) for t in EVENT_TYPES])

    def clean(self):
        data = super().clean()
        if not data.get("all_events") and not data.get("events"):
            self.add_error("events", "Choose the event types to send, or every type.")
        return data

    def event_list(self) -> list[str]:
        return ["*"] if self.cleaned_data["all_events"] else self.cleaned_data["events"]


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(required=False,
                               choices=[("", "Any status"), *WebhookDelivery.Status.choices])
    type = forms.ChoiceField(required=False, label="Event type",
                             choices=[("", "Any type"),
                                      *[(t, t) for t in (*EVENT_TYPES, TEST_EVENT_TYPE)]])
    sub_account = forms.ChoiceField(required=False, label="Client")

    def __init__(self, *args, sub_accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].choices = [("", "Any client"),
                                              *[(str(s.pk), s.name) for s in sub_accounts]]
