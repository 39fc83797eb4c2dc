"""The per-ticket address vault: placeholder → what the customer wrote.

The model, the trace and the AgentRun row see only [ADDRESS_1]; the server-side toolbox puts the
real address back into the change_address call, and the reply to the customer gets it back too.
The vault lives for one run in memory and is never logged or stored.
"""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\[ADDRESS_\d+\]")


class AddressVault:
    """Hands out one placeholder per distinct address and maps it back."""

    def __init__(self) -> None:
        self._by_placeholder: dict[str, str] = {}
        self._by_address: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._by_placeholder)

    def __repr__(self) -> str:  # never print an address by accident
        return f"AddressVault({len(self)} addresses)"

    def keep(self, address: str) -> str:
        """The placeholder standing for `address` (the same one each time it comes back)."""
        key = " ".join(address.split()).lower()
        if key not in self._by_address:
            placeholder = f"[ADDRESS_{len(self._by_placeholder) + 1}]"
            self._by_address[key] = placeholder
            self._by_placeholder[placeholder] = " ".join(address.split())
        return self._by_address[key]

    def reveal(self, text: str) -> str:
        """`text` with every known placeholder replaced by the address it stands for."""
        return PLACEHOLDER.sub(lambda m: self._by_placeholder.get(m.group(0), m.group(0)), text)

    def mask(self, text: str) -> str:
        """`text` with every known address (longest first) replaced by its placeholder."""
        for placeholder, address in sorted(self._by_placeholder.items(), key=lambda p: -len(p[1])):
            text = re.sub(re.escape(address).replace(r"\ ", r"\s+"), placeholder, text, flags=re.IGNORECASE)
        return text
