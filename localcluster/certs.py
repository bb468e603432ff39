"""A throwaway PKI for one local control plane, made with ``cryptography``.

One CA signs everything: the serving certificates of etcd and kube-apiserver (loopback
only), the client certificates the API server uses towards etcd, the admin's
(``system:masters``) and the controller manager's, plus a separate key pair that signs
ServiceAccount tokens. Keys are ECDSA P-256: fast to make, accepted by every component.
"""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=2)
LOOPBACK_NAMES = ("localhost",)
LOOPBACK_IPS = ("127.0.0.1",)
# The in-cluster names of the API server: the first address of the service range and the
# kubernetes Service's DNS names, as a real cluster's serving certificate has them.
SERVICE_CIDR = "10.96.0.0/24"
API_SERVICE_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc")


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class KeyPair:
    cert: Path
    key: Path


class Authority:
    """A CA that writes the files each component needs into ``directory``."""

    def __init__(self, directory: Path, *, common_name: str = "tenantry-localcluster-ca"):
        self.directory = directory
        self._key = _key()
        now = datetime.datetime.now(datetime.UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.cert = self._write("ca.crt", _cert_pem(self._cert))

    def _write(self, name: str, data: bytes) -> Path:
        path = self.directory / name
        path.touch(mode=0o600)
        path.write_bytes(data)
        return path

    @property
    def cert_pem(self) -> bytes:
        return _cert_pem(self._cert)

    def issue(
        self,
        name: str,
        common_name: str,
        *,
        organization: str | None = None,
        server: bool = False,
        client: bool = False,
        dns_names: tuple[str, ...] = (),
        ip_addresses: tuple[str, ...] = (),
    ) -> KeyPair:
        """A key and a certificate signed by this CA, written as ``<name>.key`` / ``<name>.crt``."""
        key = _key()
        now = datetime.datetime.now(datetime.UTC)
        usages = [ExtendedKeyUsageOID.SERVER_AUTH] * server + [ExtendedKeyUsageOID.CLIENT_AUTH] * client
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, organization))
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
        )
        if dns_names or ip_addresses:
            alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
            alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return KeyPair(
            cert=self._write(f"{name}.crt", _cert_pem(cert)), key=self._write(f"{name}.key", _key_pem(key))
        )

    def serving(
        self, name: str, *, extra_dns: tuple[str, ...] = (), extra_ips: tuple[str, ...] = ()
    ) -> KeyPair:
        """A certificate for a loopback server (also usable as a client, as etcd peers need)."""
        return self.issue(
            name,
            name,
            server=True,
            client=True,
            dns_names=LOOPBACK_NAMES + extra_dns,
            ip_addresses=LOOPBACK_IPS + extra_ips,
        )

    def client(self, name: str, user: str, group: str | None = None) -> KeyPair:
        return self.issue(name, user, organization=group, client=True)


def service_account_keys(directory: Path) -> KeyPair:
    """The key pair that signs and verifies ServiceAccount tokens (``cert`` is the public key)."""
    key = _key()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pair = KeyPair(cert=directory / "sa.pub", key=directory / "sa.key")
    for path, data in ((pair.cert, public), (pair.key, _key_pem(key))):
        path.touch(mode=0o600)
        path.write_bytes(data)
    return pair
