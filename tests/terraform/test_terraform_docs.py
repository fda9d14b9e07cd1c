"""scripts/terraform_docs.py: the generated part of a module README follows its variables and outputs,
the rest of the README is left alone, and --check names a README that is out of date."""

from pathlib import Path

import pytest

from scripts import terraform_docs

MODULE = '''
variable "name" {
  description = "Name of the <thing>."
  type        = string
}

variable "limits" {
  description = "How much | how often."
  type = object({
    count = optional(number, 3)
    names = optional(list(string), ["a, b", "c"])
  })
  default = {}
}

output "arn" {
  description = "ARN of the thing."
  value       = "x"
}
'''


@pytest.fixture
def module(tmp_path: Path) -> Path:
    (tmp_path / "variables.tf").write_text(MODULE)
    readme = f"# thing\n\nWritten by hand.\n\n{terraform_docs.BEGIN}\nold\n{terraform_docs.END}\n"
    (tmp_path / "README.md").write_text(readme)
    return tmp_path


def test_tables_follow_the_module_and_the_hand_written_part_stays(module: Path) -> None:
    assert terraform_docs.main([str(module)]) == 0
    text = (module / "README.md").read_text()
    assert text.startswith("# thing\n\nWritten by hand.\n\n")
    assert "| `name` | `string` | required | Name of the &lt;thing>. |" in text
    assert "| `limits` | `object`, below | `{}` | How much \\| how often. |" in text
    assert "| `arn` | ARN of the thing. |" in text
    # A long type is shown in full, one attribute a line; commas inside values do not split it.
    assert 'type = object({\n  count = optional(number, 3)\n  names = optional(list(string), ["a, b", "c"])\n})' in text
    assert "old" not in text


def test_check_names_a_stale_readme_and_passes_a_fresh_one(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert terraform_docs.main(["--check", str(module)]) == 1
    assert "README.md is out of date" in capsys.readouterr().err
    terraform_docs.main([str(module)])
    assert terraform_docs.main(["--check", str(module)]) == 0


def test_a_module_without_readme_markers_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "variables.tf").write_text(MODULE)
    (tmp_path / "README.md").write_text("# thing\n")
    assert terraform_docs.main(["--check", str(tmp_path)]) == 1
    assert "markers" in capsys.readouterr().err


def test_every_module_of_the_repository_is_documented() -> None:
    dirs = terraform_docs.module_dirs()
    assert {d.name for d in dirs} >= {"terraform", "gpu_pool", "lambda", "power", "api", "distributor"}
    assert all((d / "README.md").exists() for d in dirs)
