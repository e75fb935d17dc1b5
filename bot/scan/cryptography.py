"""Cryptography that bears on export classification (EAR category 5 part 2): uses of
encryption libraries and TLS, and implementations recognised by their published constants.
Hash functions alone are not encryption and are not reported."""

from __future__ import annotations

import re
from collections import Counter

from bot.scan.batch import Batch

USES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.MULTILINE) for name, pattern in {
        "Python cryptography / PyCryptodome / PyNaCl / pyOpenSSL":
            r"^\s*(?:from|import)\s+(?:cryptography|Crypto|Cryptodome|nacl|OpenSSL)\b",
        "Python ssl (TLS)": r"^\s*(?:from|import)\s+ssl\b",
        "Java JCA / Bouncy Castle": r"\b(?:javax\.crypto|org\.bouncycastle)\b",
        "Go crypto": r'"(?:crypto/(?:aes|cipher|des|rc4|rsa|ecdsa|ecdh|ed25519|tls)|'
                     r'golang\.org/x/crypto[^"]*)"',
        "Node.js crypto": r"\b(?:createCipheriv|createDecipheriv|crypto\.subtle|"
                          r"require\(['\"](?:node:)?crypto['\"]\)|from ['\"](?:node:)?crypto['\"]|"
                          r"tweetnacl|crypto-js|node-forge)\b",
        "OpenSSL / libsodium / mbed TLS / wolfSSL / libgcrypt":
            r"#\s*include\s*[<\"](?:openssl/|sodium|mbedtls/|wolfssl/|gcrypt)",
        "Rust crypto crates": r"\buse\s+(?:ring|openssl|rustls|aes_gcm|chacha20poly1305|"
                              r"aes|rsa|ed25519_dalek|x25519_dalek)::",
        ".NET cryptography": r"\bSystem\.Security\.Cryptography\b",
    }.items()
}

IMPLEMENTATIONS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
        "AES S-box": r"0x63,\s*0x7c,\s*0x77,\s*0x7b,\s*0xf2|637c777bf26b6fc5",
        "ChaCha20 / Salsa20 constant": r"expand 32-byte k|0x61707865,\s*0x3320646e",
        "Blowfish P-array": r"0x243f6a88,\s*0x85a308d3,\s*0x13198a2e",
        "DES S-box": r"0x01010400,\s*0x00000000,\s*0x00010000",
    }.items()
}


def find(text: str) -> Counter[tuple[str, str]]:
    """({'use' or 'implementation'}, what) -> number of places in the text."""
    return Counter({(kind, what): count for (_, kind, what), count in
                    find_in(Batch([text])).items()})


def find_in(batch: Batch) -> Counter[tuple[int, str, str]]:
    """(text index, 'use' or 'implementation', what) -> number of places, for a batch."""
    found: Counter[tuple[int, str, str]] = Counter()
    for kind, table in (("use", USES), ("implementation", IMPLEMENTATIONS)):
        for name, pattern in table.items():
            for match in pattern.finditer(batch.text):
                found[(batch.index_of(match.start()), kind, name)] += 1
    return found
