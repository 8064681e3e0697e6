"""The ledger's reactions to the lower apps: a new sub-account's wallet, in the same
transaction; and, once a change to what credit limits rest on commits, the review that lifts
the clients now within theirs."""

from django.db import transaction
from django.dispatch import receiver

from agencies.signals import agency_credit_changed
from subaccounts.signals import subaccount_created, subaccount_credit_changed
from wallets.ledger.services import credit_limits_review, wallet_open


@receiver(subaccount_created)
def open_wallet_for_new_subaccount(sender, sub_account, **kwargs):
    wallet_open(sub_account=sub_account)


# After the commit, in transactions of their own: the wallet lock comes before the
# sub-account's and the agency's rows, which the change holds (`services.credit_limits_review`).
# Robust: a review that fails is logged and left to the billing job (`credit_limits_due`).
@receiver(agency_credit_changed)
def review_credit_limits_of_agency(sender, agency, **kwargs):
    transaction.on_commit(lambda: credit_limits_review(agency_id=agency.pk), robust=True)


@receiver(subaccount_credit_changed)
def review_credit_limit_of_client(sender, sub_account, **kwargs):
    transaction.on_commit(lambda: credit_limits_review(sub_account_id=sub_account.pk),
                          robust=True)
