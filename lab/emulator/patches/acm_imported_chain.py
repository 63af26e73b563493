"""ACM: GetCertificate of an imported certificate returns the chain that was imported.

moto behaviour: every certificate bundle's chain is "the chain you gave + moto's own Amazon root
CA" (or that root CA alone), imported certificates included. ``community.aws.acm_certificate``
compares the chain ACM returns with the one it was given (with none given: with the certificate
itself), finds the extra root CA, and re-imports the certificate on every run and reports
``changed`` under ``--check`` ("re-imports every run", docs/platform.md). The module follows AWS;
moto is wrong.

AWS: for an IMPORTED certificate, GetCertificate returns the certificate and the chain exactly as
imported (no Amazon CA is added to a chain AWS did not issue). Only Amazon-issued certificates
carry Amazon's chain.

Fix: after moto builds a bundle of type IMPORTED, its chain is the imported chain, or the
certificate itself when no chain was imported (what the module expects from AWS). Amazon-issued
and private certificates keep moto's chain.
"""

from __future__ import annotations

from typing import Any

from moto.acm.models import CertBundle

_MARK = "_estate_acm_imported_chain_patched"


def apply() -> None:
    if getattr(CertBundle, _MARK, False):
        return
    original = CertBundle.__init__

    def __init__(
        self: CertBundle,
        account_id: str,
        certificate: bytes,
        private_key: bytes,
        chain: bytes | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        original(self, account_id, certificate, private_key, chain, *args, **kwargs)
        if self.type == "IMPORTED":
            self.chain = chain.strip() + b"\n" if chain else certificate

    CertBundle.__init__ = __init__  # type: ignore[method-assign]
    setattr(CertBundle, _MARK, True)
