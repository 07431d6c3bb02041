"""The pluggable secret source: environment, *_FILE, a mounted directory, and a short cache."""

from pathlib import Path

import pytest

from banking.secrets import CachedSecrets, DirectorySource, EnvironmentSource, SecretNotFoundError


def test_environment_then_file_then_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "LUCKYGAS_B1_FILE_KEY").write_text("from-directory\n")
    secret_file = tmp_path / "signing.pem"
    secret_file.write_text("from-file\n")
    monkeypatch.setenv("LUCKYGAS_B1_SIGNING_KEY_FILE", str(secret_file))
    monkeypatch.setenv("LUCKYGAS_B1_SFTP_KEY", "from-env")
    source = CachedSecrets([EnvironmentSource(), DirectorySource(tmp_path)], ttl=60)
    assert source.get("LUCKYGAS_B1_SFTP_KEY") == "from-env"
    assert source.get("LUCKYGAS_B1_SIGNING_KEY") == "from-file"
    assert source.get("LUCKYGAS_B1_FILE_KEY") == "from-directory"
    with pytest.raises(SecretNotFoundError, match="LUCKYGAS_B1_BANK_PUBLIC_KEY is not configured"):
        source.get("LUCKYGAS_B1_BANK_PUBLIC_KEY")


def test_values_are_cached_for_the_ttl_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUCKYGAS_B2_FILE_KEY", "first")
    cached = CachedSecrets([EnvironmentSource()], ttl=60)
    uncached = CachedSecrets([EnvironmentSource()], ttl=0)
    assert cached.get("LUCKYGAS_B2_FILE_KEY") == uncached.get("LUCKYGAS_B2_FILE_KEY") == "first"
    monkeypatch.setenv("LUCKYGAS_B2_FILE_KEY", "rotated")
    assert cached.get("LUCKYGAS_B2_FILE_KEY") == "first"
    assert uncached.get("LUCKYGAS_B2_FILE_KEY") == "rotated"
    cached.clear()
    assert cached.get("LUCKYGAS_B2_FILE_KEY") == "rotated"
