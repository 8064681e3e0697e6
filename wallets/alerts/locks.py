"""The row locks alerts take: a client's low-balance states, in pk order, so two evaluations
of the same client (a task and the sweep) decide each crossing one after the other."""

from wallets.alerts.models import LowBalanceState


def low_balance_states_lock(sub_account_id) -> list[LowBalanceState]:
    return list(LowBalanceState.objects.filter(sub_account_id=sub_account_id)
                .order_by("pk").select_for_update(of=("self",)))
