"""Throw-away X.509 material for the TLS tests, made with the ``openssl`` command.

    certs = generate_certs(tmp_dir)
    certs.ca_cert            # PEM file of the test CA
    certs.server_cert/_key   # signed by the CA; SAN DNS:localhost, IP:127.0.0.1
    certs.client_cert/_key   # signed by the CA; CN = certs.client_cn (EXTERNAL login)
    certs.client_key_encrypted, certs.client_key_password
                             # the same client key, PEM-encrypted with a passphrase
    certs.other_ca_cert      # a second CA that signed nothing the broker trusts
    certs.rogue_client_cert/_key  # a client cert signed by the other CA
    certs.wrong_host_cert/_key    # signed by the CA, valid only for wrong.example

Every attribute is a path inside ``directory``; ``read(name)`` returns a file's bytes
(for ``PrivateRabbitNode.write_file``). Keys are RSA 2048, certificates are valid for
two days starting now, and carry the extensions strict verifiers ask for (basic
constraints, key usage, SKI/AKI, extended key usage).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

CLIENT_CN = "pika-fast-tls-user"
WRONG_HOSTNAME = "wrong.example"
KEY_PASSWORD = "k3y-passphrase-never-shown"

_DAYS = "2"


class CertError(RuntimeError):
    """The openssl command failed."""


def _openssl(*args: str, cwd: str) -> None:
    exe = shutil.which("openssl")
    if exe is None:
        raise CertError("the openssl command is not installed")
    result = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True,
                            timeout=60)
    if result.returncode != 0:
        raise CertError(f"openssl {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def _write(path: str, text: str) -> str:
    with open(path, "w") as handle:
        handle.write(text)
    return path


def _make_ca(directory: str, name: str, cn: str) -> tuple:
    key = os.path.join(directory, f"{name}.key")
    cert = os.path.join(directory, f"{name}.pem")
    ext = _write(os.path.join(directory, f"{name}.ext"),
                 "[v3_ca]\n"
                 "basicConstraints = critical, CA:TRUE\n"
                 "keyUsage = critical, keyCertSign, cRLSign, digitalSignature\n"
                 "subjectKeyIdentifier = hash\n"
                 "authorityKeyIdentifier = keyid:always\n")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
             "-keyout", key, "-out", cert, "-days", _DAYS, "-subj", f"/CN={cn}/O=pika_fast tests",
             "-config", ext, "-extensions", "v3_ca", cwd=directory)
    return cert, key


def _make_leaf(directory: str, name: str, cn: str, ca: tuple, *, server: bool,
               san: str = "") -> tuple:
    ca_cert, ca_key = ca
    key = os.path.join(directory, f"{name}.key")
    csr = os.path.join(directory, f"{name}.csr")
    cert = os.path.join(directory, f"{name}.pem")
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", key,
             "-out", csr, "-subj", f"/CN={cn}/O=pika_fast tests", cwd=directory)
    lines = ["basicConstraints = critical, CA:FALSE",
             "keyUsage = critical, digitalSignature, keyEncipherment",
             "extendedKeyUsage = " + ("serverAuth" if server else "clientAuth"),
             "subjectKeyIdentifier = hash",
             "authorityKeyIdentifier = keyid, issuer"]
    if san:
        lines.append(f"subjectAltName = {san}")
    ext = _write(os.path.join(directory, f"{name}.ext"), "\n".join(lines) + "\n")
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
             "-CAcreateserial", "-sha256", "-days", _DAYS, "-out", cert, "-extfile", ext,
             cwd=directory)
    return cert, key


@dataclass
class CertSet:
    directory: str
    ca_cert: str
    ca_key: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str
    client_cn: str
    client_key_encrypted: str
    client_key_password: str
    other_ca_cert: str
    other_ca_key: str
    rogue_client_cert: str
    rogue_client_key: str
    wrong_host_cert: str
    wrong_host_key: str
    wrong_hostname: str

    @staticmethod
    def read(path: str) -> bytes:
        with open(path, "rb") as handle:
            return handle.read()


def generate_certs(directory: str, client_cn: str = CLIENT_CN) -> CertSet:
    """Create every file in ``directory`` (which must exist) and describe them."""
    ca = _make_ca(directory, "ca", "pika_fast test CA")
    other_ca = _make_ca(directory, "other_ca", "pika_fast unrelated CA")
    server = _make_leaf(directory, "server", "localhost", ca, server=True,
                        san="DNS:localhost, IP:127.0.0.1")
    client = _make_leaf(directory, "client", client_cn, ca, server=False)
    rogue = _make_leaf(directory, "rogue_client", client_cn, other_ca, server=False)
    wrong = _make_leaf(directory, "wrong_host", WRONG_HOSTNAME, ca, server=True,
                       san=f"DNS:{WRONG_HOSTNAME}")
    encrypted = os.path.join(directory, "client_encrypted.key")
    _openssl("pkey", "-in", client[1], "-out", encrypted, "-aes256",
             "-passout", f"pass:{KEY_PASSWORD}", cwd=directory)
    for name in os.listdir(directory):
        if name.endswith(".key"):
            os.chmod(os.path.join(directory, name), 0o600)
    return CertSet(
        directory=directory,
        ca_cert=ca[0], ca_key=ca[1],
        server_cert=server[0], server_key=server[1],
        client_cert=client[0], client_key=client[1], client_cn=client_cn,
        client_key_encrypted=encrypted, client_key_password=KEY_PASSWORD,
        other_ca_cert=other_ca[0], other_ca_key=other_ca[1],
        rogue_client_cert=rogue[0], rogue_client_key=rogue[1],
        wrong_host_cert=wrong[0], wrong_host_key=wrong[1], wrong_hostname=WRONG_HOSTNAME,
    )
