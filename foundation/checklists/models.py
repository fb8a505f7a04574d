from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class ChecklistItemQuerySet(models.QuerySet):
    def for_holder(self, holder: models.Model) -> "ChecklistItemQuerySet":
        return self.filter(holder_type=ContentType.objects.get_for_model(holder),
                           holder_id=str(holder.pk))

    def open(self) -> "ChecklistItemQuerySet":
        return self.filter(status__in=[ChecklistItem.Status.TODO,
                                       ChecklistItem.Status.WAITING_ON_MEMBER])

    def overdue(self, today) -> "ChecklistItemQuerySet":
        return self.open().filter(due_date__lt=today)


class ChecklistItem(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", "To do"
        WAITING_ON_MEMBER = "waiting", "Waiting on the member"
        DELIVERED = "delivered", "Delivered"
        NOT_APPLICABLE = "n/a", "Not applicable"

    ALLOWED_TRANSITIONS = {
        Status.TODO: {Status.WAITING_ON_MEMBER, Status.DELIVERED, Status.NOT_APPLICABLE},
        Status.WAITING_ON_MEMBER: {Status.TODO, Status.DELIVERED, Status.NOT_APPLICABLE},
        Status.DELIVERED: {Status.TODO},
        Status.NOT_APPLICABLE: {Status.TODO},
    }

    holder_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    holder_id = models.CharField(max_length=64)
    holder = GenericForeignKey("holder_type", "holder_id")
    key = models.SlugField(max_length=64, help_text="Which benefit this is, for automation.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              help_text="The staff member who delivers it.")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TODO)
    member_must_provide = models.CharField(max_length=300, blank=True)
    member_input = models.TextField(blank=True, max_length=5000)
    provided_at = models.DateTimeField(null=True, blank=True)
    proof = models.TextField(blank=True, max_length=5000,
                             help_text="Proof of delivery: a link or a note.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["holder_type", "holder_id", "key"],
                                               name="one_item_per_benefit")]
        indexes = [models.Index(fields=["holder_type", "holder_id"])]

    def __str__(self) -> str:
        return self.title
