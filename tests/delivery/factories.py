import datetime

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from luckygas.delivery import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@luckygas.example")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Customer

    code = factory.Sequence(lambda n: f"T{n:05d}")
    customer_type = models.CustomerType.HOUSEHOLD
    short_name = factory.Sequence(lambda n: f"王小明{n}")
    phone = factory.Sequence(lambda n: f"+886912{n % 1000000:06d}")
    mobile = factory.LazyAttribute(lambda customer: customer.phone)
    city = "臺北市"
    district = "大安區"
    address = factory.Sequence(lambda n: f"忠孝東路四段{n + 1}號")
    area = "大安區-A"
    payment_method = models.PaymentMethod.CASH


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CylinderProduct
        django_get_or_create = ("code",)

    code = "LPG-20"
    name = "20 公斤桶裝瓦斯"
    size_kg = 20
    price = 950
    deposit = 1800


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Vehicle

    plate_number = factory.Sequence(lambda n: f"TST-{n:04d}")


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Driver

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"司機{n}")
    phone = factory.Sequence(lambda n: f"+886933{n % 1000000:06d}")
    default_vehicle = factory.SubFactory(VehicleFactory)


class OrderFactory(factory.django.DjangoModelFactory):
    """A pending order with one line of one 20 kg cylinder."""

    class Meta:
        model = models.Order
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    delivery_date = factory.LazyFunction(timezone.localdate)
    payment_method = factory.LazyAttribute(lambda order: order.customer.payment_method)
    status_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def lines(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        product = ProductFactory()
        models.OrderLine.objects.create(order=self, product=product, quantity=1, unit_price=product.price)
        self.total_amount = product.price
        self.save(update_fields=["total_amount"])


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Route

    driver = factory.SubFactory(DriverFactory)
    date = factory.LazyFunction(timezone.localdate)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Invoice

    number = factory.Sequence(lambda n: f"INV-T{n:06d}")
    customer = factory.SubFactory(
        CustomerFactory, payment_method=models.PaymentMethod.MONTHLY_INVOICE, invoice_title="測試企業社"
    )
    issue_date = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    due_date = factory.LazyAttribute(lambda invoice: invoice.issue_date + datetime.timedelta(days=19))
    amount = 1900
