"""A worker killed in the middle of a top-up attempt, after the gateway charged the card and
before the ledger entry: the crash every settling path (billing run, webhook) must recover."""

import pytest

from wallets.payments.topups import topup_attempt


def topup_attempt_killed(topup, *, now=None, dies_in: str = "topup_settle") -> None:
    """Run the attempt with `wallets.topups.<dies_in>` killing the worker when it is called."""

    class Killed(BaseException):
        pass

    def killed(**kwargs):
        raise Killed

    with pytest.MonkeyPatch.context() as patch, pytest.raises(Killed):
        patch.setattr(f"wallets.payments.topups.{dies_in}", killed)
        topup_attempt(topup_id=topup.pk, now=now)
