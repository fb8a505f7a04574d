import factory
from allauth.account.models import EmailAddress

from foundation.accounts.models import Organization, OrganizationRole, Role, User
from tests.mfa import activate_totp

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Accounts are verified unless a test asks for `verified=False`."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def second_factor(self, create, extracted, **kwargs):
        """Staff get the authenticator app the admin asks them for (tests.mfa's secret),
        unless a test asks for `second_factor=False`."""
        if create and self.is_staff and extracted is not False:
            activate_totp(self)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"Example Systems {n} Inc.")
    display_name = factory.Sequence(lambda n: f"Example Systems {n}")
    slug = factory.Sequence(lambda n: f"example-systems-{n}")
    website = "https://example.com/"
    country = "US"
    type = Organization.Type.COMPANY
    employees = 1200

    @classmethod
    def with_admin(cls, **kwargs) -> tuple[Organization, User]:
        org = cls(**kwargs)
        admin = UserFactory()
        OrganizationRole.objects.create(organization=org, user=admin, role=Role.ADMIN)
        return org, admin
