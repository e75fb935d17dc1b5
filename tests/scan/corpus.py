"""Small corpora for the scan's tests and benchmark: credentials made up at run time (so this
source holds none), look-alikes that are not credentials, and git repositories built in a
temporary folder."""

from __future__ import annotations

import random
import string
import subprocess
from pathlib import Path

MIT = """MIT License

Copyright (c) {year} {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def _random(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def planted_secrets(seed: int = 7) -> dict[str, str]:
    """detect-secrets kind -> a line holding a freshly made credential of that kind."""
    rng = random.Random(seed)  # noqa: S311 (made-up test data, reproducible)
    alnum = string.ascii_letters + string.digits
    upper = string.ascii_uppercase + string.digits
    hexa = "0123456789abcdef"
    lower = string.ascii_lowercase + string.digits
    return {
        "AWS Access Key": f'aws_access_key_id = "{"AK" + "IA"}{_random(rng, upper, 16)}"',
        "GitHub Token": f"token: {'gh' + 'p_'}{_random(rng, alnum, 36)}",
        "GitLab Token": f"GITLAB={'gl' + 'pat-'}{_random(rng, alnum, 20)}",
        "Slack Token": f"SLACK_BOT_TOKEN={'xo' + 'xb-'}{_random(rng, string.digits, 12)}-"
                       f"{_random(rng, string.digits, 13)}-{_random(rng, lower, 24)}",
        "Stripe Access Key": f"stripe.api_key = '{'sk' + '_live_'}{_random(rng, alnum, 24)}'",
        "SendGrid API Key": f"SENDGRID={'S' + 'G.'}{_random(rng, alnum, 22)}."
                            f"{_random(rng, alnum, 43)}",
        "Private Key": "-----BEGIN " + "RSA PRIVATE KEY-----\n" + _random(rng, alnum, 64)
                       + "\n-----END RSA PRIVATE KEY-----",
        "Basic Auth Credentials": f"url = https://deploy:{_random(rng, alnum, 18)}@git.acme.com/x",
        "PyPI Token": f"password = {'py' + 'pi-AgEIcHlwaS5vcmc'}{_random(rng, alnum, 80)}",
        "Twilio API Key": f"TWILIO = '{'S' + 'K'}{_random(rng, hexa, 32)}'",
        "JSON Web Token": "Authorization: Bearer " + "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                          "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUiLCJpYXQiOjE1MTYyMzkwMjJ9."
                          + _random(rng, alnum, 43),
    }


LOOK_ALIKES = [
    'aws_access_key_id = "' + "AKIA" + 'IOSFODNN7EXAMPLE"',  # AWS's documentation example
    "token: " + "ghp_" + "x" * 36,
    "token: " + "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789",
    "stripe.api_key = '" + "sk_live_" + "0" * 24 + "'",
    "SLACK_BOT_TOKEN=" + "xoxb-" + "your-token-here",
    "SLACK_BOT_TOKEN=" + "xoxb-" + "123-456-abc",
    "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
    "password = os.environ['DB_PASSWORD']",
    "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/app",
    "DATABASE_URL=postgresql://app:app@db:5432/app",
    "url = https://user:${PASSWORD}@git.acme.com/x",
    "url = https://deploy:<password>@git.acme.com/x",
    "-----BEGIN " + "PUBLIC KEY-----",
    "commit 3ca66ba793114b403abb758cbb564d7ff838a2a5",
    "id = 123e4567-e89b-12d3-a456-426614174000",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
]


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `root` with a fixed identity and date, so repositories are reproducible."""
    fixed = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE":
             "2026-01-01T00:00:00Z", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root),
             "PATH": "/usr/bin:/bin:/usr/local/bin"}
    command = ["git", "-C", str(root), *args]
    return subprocess.run(command, check=True, capture_output=True,
                          text=True, env={**fixed, **(env or {})}).stdout


def init(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Dev")
    git(root, "config", "user.email", "dev@acme.com")
    git(root, "config", "commit.gpgsign", "false")
    return root


def commit(root: Path, files: dict[str, str | None], message: str,
           author: str = "dev@acme.com") -> None:
    """Write (or with None, remove) files and commit them as `author`."""
    for name, text in files.items():
        path = root / name
        if text is None:
            git(root, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(root, "add", name)
    git(root, "commit", "-q", "-m", message,
        env={"GIT_AUTHOR_EMAIL": author, "GIT_AUTHOR_NAME": author.split("@", maxsplit=1)[0]})
