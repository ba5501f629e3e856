"""The pre-commit hook for real: `pre-commit try-repo` on a local clone of this repository, run
in a repository of articles the way a user's commit runs it, with the installed wikipoll.

pre-commit is a development dependency (pyproject.toml); nothing is downloaded: the hook
`wikipoll-validate` runs the wikipoll of this virtualenv, put first on PATH as a user's
virtualenv or CI job would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "raw" / "serbia_nato_relations.txt"
BIN = Path(sys.executable).parent
HOOK = "wikipoll-validate"
BAD_DATE = "31 February 2024"

pytestmark = pytest.mark.skipif(
    shutil.which("pre-commit", path=str(BIN)) is None,
    reason="pre-commit is not installed in this virtualenv (a dev dependency: make install)",
)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def environment(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # pre-commit's cache of hook repositories, and git's identity, kept to this test.
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "wikipoll test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "wikipoll test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_COLOR": "1",
    }
    env.pop("PRE_COMMIT", None)
    return env


@pytest.fixture
def hook_repo(tmp_path, monkeypatch) -> Path:
    """A local clone of this repository whose .pre-commit-hooks.yaml is the one in the work tree
    (try-repo would leave out a manifest not committed yet)."""
    for name, value in environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    clone = tmp_path / "wikipoll-clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)],
                   check=True, capture_output=True)  # fmt: skip
    shutil.copy(REPO / ".pre-commit-hooks.yaml", clone / ".pre-commit-hooks.yaml")
    git("add", ".pre-commit-hooks.yaml", cwd=clone)
    git("commit", "--quiet", "--allow-empty", "-m", "the hook manifest of the work tree", cwd=clone)
    return clone


@pytest.fixture
def articles(tmp_path, hook_repo) -> Path:
    """A repository of articles: a good one (the sample) and one with an unreadable poll date."""
    repo = tmp_path / "articles"
    (repo / "raw").mkdir(parents=True)
    (repo / "drafts").mkdir()
    shutil.copy(SAMPLE, repo / "raw" / SAMPLE.name)
    text = SAMPLE.read_text()
    assert "| February 2024 | NSPM |" in text
    bad = text.replace("| February 2024 | NSPM |", f"| {BAD_DATE} | NSPM |")
    (repo / "drafts" / "broken.txt").write_text(bad)
    (repo / "NOTES.md").write_text("not an article\n")
    git("init", "--quiet", cwd=repo)
    git("add", ".", cwd=repo)
    return repo


def try_repo(hook_repo: Path, cwd: Path, *files: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "pre-commit"), "try-repo", str(hook_repo), HOOK, "--verbose", "--files", *files],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def bad_line() -> int:
    lines = SAMPLE.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if "| February 2024 | NSPM |" in line)


def test_the_manifest_declares_the_hooks():
    hooks = {
        hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    }
    assert set(hooks) == {"wikipoll-validate", "wikipoll-validate-isolated"}
    for hook in hooks.values():
        assert hook["files"] == r"\.(txt|wiki|wikitext)$"
        assert 'exec wikipoll validate "$@"' in hook["entry"]
    assert hooks["wikipoll-validate"]["language"] == "unsupported"
    assert hooks["wikipoll-validate-isolated"]["language"] == "python"
    check = subprocess.run([str(BIN / "pre-commit"), "validate-manifest",
                            str(REPO / ".pre-commit-hooks.yaml")], capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_hook_passes_a_good_article(hook_repo, articles):
    result = try_repo(hook_repo, articles, f"raw/{SAMPLE.name}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
    assert "0 errors, 0 warnings in 1 article files" in result.stdout


def test_the_hook_fails_a_bad_article_naming_its_line(hook_repo, articles):
    result = try_repo(hook_repo, articles, "drafts/broken.txt")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert f"drafts/broken.txt:{bad_line()}: error:" in result.stdout
    assert f"'{BAD_DATE}' in column 'Dates conducted' is not a date" in result.stdout


def test_the_hook_checks_the_changed_articles_and_fails_on_any(hook_repo, articles):
    result = try_repo(hook_repo, articles, f"raw/{SAMPLE.name}", "drafts/broken.txt")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 errors, 0 warnings in 2 article files" in result.stdout


def test_the_hook_leaves_alone_an_article_the_commit_does_not_change(hook_repo, articles):
    shutil.copy(SAMPLE, articles / "drafts" / "good.txt")  # beside drafts/broken.txt
    git("add", ".", cwd=articles)
    result = try_repo(hook_repo, articles, "drafts/good.txt")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors, 0 warnings in 1 article files" in result.stdout


def test_the_hook_skips_a_commit_without_articles(hook_repo, articles):
    result = try_repo(hook_repo, articles, "NOTES.md")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)Skipped" in result.stdout


def test_the_hook_says_so_when_wikipoll_is_not_installed(hook_repo, articles, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result = try_repo(hook_repo, articles, f"raw/{SAMPLE.name}")
    assert result.returncode != 0
    assert "no wikipoll command here" in result.stdout


# docs/github-actions-validate.yml: the same check in a pull request's CI. GitHub Actions cannot
# run here; its validate step's script is plain bash, and runs here on a pull request made of two
# commits, with the installed wikipoll.
WORKFLOW = REPO / "docs" / "github-actions-validate.yml"


def workflow_steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    return job["steps"]


def validate_step() -> dict:
    (step,) = [step for step in workflow_steps() if "wikipoll validate" in step.get("run", "")]
    return step


def test_the_workflow_installs_wikipoll_and_annotates_with_github_format():
    steps = workflow_steps()
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in steps)
    python = next(
        step for step in steps if step.get("uses", "").startswith("actions/setup-python@")
    )
    assert python["with"]["python-version"] == "3.11"  # requires-python in pyproject.toml
    install = next(step for step in steps if "pip install" in step.get("run", ""))
    assert "wikipoll @ git+https://" in install["run"]
    step = validate_step()
    assert "--format github" in step["run"]
    assert step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert "${{" not in step["run"]  # the script itself runs as is, below


def run_validate_step(repo: Path, base: str) -> subprocess.CompletedProcess:
    script = repo.parent / "validate-step.sh"
    script.write_text(validate_step()["run"])
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=repo, capture_output=True, text=True, timeout=300,
        env={**os.environ, "BASE_SHA": base, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )  # fmt: skip


def test_the_workflow_step_annotates_a_bad_article_of_a_pull_request(tmp_path, monkeypatch):
    for name, value in environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    repo = tmp_path / "articles"
    (repo / "raw").mkdir(parents=True)
    shutil.copy(SAMPLE, repo / "raw" / SAMPLE.name)
    git("init", "--quiet", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "base", cwd=repo)
    base = git("rev-parse", "HEAD", cwd=repo).strip()

    # A pull request that touches no article: nothing to validate.
    (repo / "NOTES.md").write_text("notes\n")
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "notes", cwd=repo)
    result = run_validate_step(repo, base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no article changed" in result.stdout

    # One that adds a bad article in drafts/: only that file is validated, and the error is an
    # annotation on its line.
    (repo / "drafts").mkdir()
    bad = SAMPLE.read_text().replace("| February 2024 | NSPM |", f"| {BAD_DATE} | NSPM |")
    (repo / "drafts" / "broken article.txt").write_text(bad)
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "a draft", cwd=repo)
    result = run_validate_step(repo, base)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"::error file=drafts/broken article.txt,line={bad_line()},title=wikipoll " in result.stdout
    )
    assert "1 errors, 0 warnings in 1 article files" in result.stderr  # not raw/ too
