"""Ed25519 key files for tokens: loading signing and verification keys, and the development key
pair generated once under the cache so that a local stack and its tokens agree."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DEV_KID = "dev"


def default_cache_dir() -> Path:
    return Path(
        os.environ.get("KINLINK_CACHE_DIR", Path(__file__).resolve().parents[2] / ".cache")
    ).resolve()


def ensure_dev_keys(cache_dir: Path | None = None) -> Path:
    """The development private key (generated once, mode 0600); its public key sits beside."""
    folder = (cache_dir or default_cache_dir()) / "auth"
    private_path = folder / f"{DEV_KID}.pem"
    if not private_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        tmp = folder / f".{DEV_KID}.pem.{os.getpid()}"
        tmp.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        tmp.chmod(0o600)
        tmp.replace(private_path)  # atomic: concurrent starters agree on one key
    public_path = folder / f"{DEV_KID}.pub.pem"
    if not public_path.exists():
        public_path.write_bytes(_public_pem(load_private_key(private_path)[1]))
    return private_path


def _public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _kid_of(path: Path) -> str:
    return path.name.removesuffix(".pem").removesuffix(".pub")


def load_private_key(path: Path) -> tuple[str, Ed25519PrivateKey]:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return _kid_of(path), key


def load_public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """`kid` -> key for a PEM file or every `*.pem` in a directory. A private key file also
    yields its public half, so the dev key alone is enough for a local stack."""
    files = sorted(path.glob("*.pem")) if path.is_dir() else [path]
    keys: dict[str, Ed25519PublicKey] = {}
    for file in files:
        raw = file.read_bytes()
        if b"PRIVATE KEY" in raw:
            keys[_kid_of(file)] = load_private_key(file)[1].public_key()
            continue
        key = serialization.load_pem_public_key(raw)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{file}: not an Ed25519 public key")
        keys[_kid_of(file)] = key
    if not keys:
        raise ValueError(f"{path}: no PEM keys found")
    return keys
