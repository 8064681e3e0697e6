"""The receiver's side of a signature, taken from docs/webhooks.md as an agency would copy
it: the tests verify every delivery with the documented snippet itself."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def _snippet() -> dict:
    text = DOC.read_text()
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


verify = _snippet()["verify"]


def signed_by(request: dict, secret: str) -> bool:
    return verify(secret, request["headers"]["HoopBilling-Signature"], request["body"])
