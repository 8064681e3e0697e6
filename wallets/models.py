"""The models of the wallets app, each defined in the package of its capability and
imported here because Django looks for an app's models in `<app>.models`."""

from wallets.alerts.models import (  # noqa: F401
    AlertSettings,
    FiredAlert,
    LowBalanceState,
    SpendAlert,
)
from wallets.billing.models import (  # noqa: F401
    AgencyStatement,
    BillingPeriod,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
)
from wallets.ledger.models import Entry, Wallet  # noqa: F401
from wallets.payments.models import (  # noqa: F401
    Notification,
    PaymentEvent,
    SandboxCharge,
    TopUp,
    TopUpAttempt,
    TopUpRefund,
)
from wallets.usage.models import UsageCharge, UsageCounter, UsageDaily  # noqa: F401
from wallets.webhooks.models import (  # noqa: F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
