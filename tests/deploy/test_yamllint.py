"""Step 1: every YAML file under deploy/ passes yamllint --strict."""

from tests.deploy.rendering import DEPLOY, ROOT, describe, run


def test_manifests_pass_yamllint_strict():
    result = run(
        [str(ROOT / ".venv" / "bin" / "yamllint"), "--strict", "-c", str(DEPLOY / ".yamllint.yaml"), "deploy/"]
    )
    assert result.returncode == 0, describe(result)


def test_yamllint_reports_a_broken_file(tmp_path):
    # given a manifest with a duplicated key (so the check above can fail at all)
    broken = tmp_path / "broken.yaml"
    broken.write_text("---\nkind: Service\nkind: Pod\n", encoding="utf-8")
    # when
    result = run(
        [str(ROOT / ".venv" / "bin" / "yamllint"), "--strict", "-c", str(DEPLOY / ".yamllint.yaml"), str(broken)]
    )
    # then
    assert result.returncode == 1
    assert "duplication of key" in result.stdout
