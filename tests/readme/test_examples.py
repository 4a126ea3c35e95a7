"""How the README test reads examples and judges answers (no server needed)."""

from pathlib import Path

import pytest

from tests.readme.examples import Outcome, Step, check, mismatches, parse_expectation, parse_steps

ROOT = Path(__file__).resolve().parents[2]

README = """
Intro.

```sh
docker compose up -d      # not marked: never runs
```

```sh tested
TOKEN=$(curl -s -X POST "$BASE/api/user/token/" \\
  -d username=alice)
# a plain comment
curl -s "$BASE/api/user/images/"
# → 200 [{"id": …,
#         "thumbnails": [{"height": 200, "url": "http://127.0.0.1:8000/media/…"}]}]
```

  ```sh tested
  curl -s -X DELETE "$BASE/api/user/images/1/"
  # → 204
  ```
"""


class TestWhatRuns:
    def test_only_marked_blocks_run_in_order_with_continued_lines_joined(self):
        steps = parse_steps(README)

        assert [s.command.split()[0] for s in steps] == ["TOKEN=$(curl", "curl", "curl"]
        assert "-d username=alice)" in steps[0].command
        assert all("docker" not in s.command for s in steps)
        assert steps[1].line == 12  # README lines count from 1

    def test_an_expectation_may_continue_over_comment_lines(self):
        expect = parse_steps(README)[1].expect

        assert expect.status == 200
        assert expect.body == [
            {"id": "…", "thumbnails": [{"height": 200, "url": "http://127.0.0.1:8000/media/…"}]}
        ]

    def test_an_expectation_without_a_step_is_an_error(self):
        with pytest.raises(ValueError, match="needs a step"):
            parse_steps("```sh tested\n# → 200\n```\n")

    def test_an_unfinished_expectation_is_an_error(self):
        with pytest.raises(ValueError, match="unfinished"):
            parse_steps('```sh tested\ncurl x\n# → 200 {"a": 1,\n```\n')

    def test_the_readme_has_examples_and_each_block_checks_an_answer(self):
        steps = parse_steps((ROOT / "README.md").read_text())

        checked = [s for s in steps if s.expect is not None]
        assert len(checked) >= 20
        assert any(s.expect.status == 409 for s in checked)


class TestJudgingAnswers:
    BASE = "http://127.0.0.1:45678"

    def test_only_the_named_fields_are_checked_and_the_base_is_substituted(self):
        expected = parse_expectation('201 {"id": …, "image": "http://127.0.0.1:8000/media/…"}')
        actual = {"id": 7, "image": f"{self.BASE}/media/abc:def", "size": 1}

        assert mismatches(expected.body, actual, self.BASE) == []

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            ({"expires_in": 600}, {"expires_in": 300}),
            ({"success": True}, {"success": 1}),
            ({"url": "http://127.0.0.1:8000/media/…"}, {"url": "http://elsewhere/media/x"}),
            ({"detail": "…"}, {"message": "x"}),
            ([{"height": 200}], [{"height": 200}, {"height": 400}]),
            ([], {"results": []}),
        ],
    )
    def test_a_different_answer_is_reported(self, expected, actual):
        assert mismatches(expected, actual, self.BASE)

    def test_a_final_ellipsis_lets_a_list_go_on(self):
        assert mismatches([{"height": 200}, "…"], [{"height": 200}, {"height": 400}]) == []

    def test_a_wrong_status_fails_the_step_and_names_its_readme_line(self):
        step = Step(42, 'curl -s "$BASE/api/user/link/1/?time=600"', parse_expectation("200"))

        problems = check(step, Outcome(0, '{"detail": "no"}', "", 403), self.BASE)

        assert len(problems) == 1
        assert problems[0].startswith("README line 42 (curl -s")
        assert "expected HTTP 200, got 403" in problems[0]

    def test_a_step_that_fails_or_prints_no_json_is_reported(self):
        step = Step(1, "curl -s x", parse_expectation('200 {"token": "…"}'))

        assert check(step, Outcome(0, "<html>", "", 200), self.BASE)
        assert check(Step(2, "false"), Outcome(1, "", "boom", None), self.BASE)

    def test_printed_text_is_searched_with_ellipsis_as_a_wildcard(self):
        step = Step(1, "manage.py create_user", parse_expectation("Updated user 'admin' …"))

        good = Outcome(0, "Updated user 'admin' (tier Basic).\n", "", None)
        assert check(step, good, self.BASE) == []
        assert check(step, Outcome(0, "Created user 'bob'", "", None), self.BASE)


def test_every_answer_the_readme_prints_ends_with_a_newline():
    """A curl that prints its answer to the terminal adds one (``-w '\\n'``): JSON has
    none, so the next prompt or answer would run into it when the steps are pasted."""
    steps = parse_steps((ROOT / "README.md").read_text())
    printing = [
        s.command
        for s in steps
        if s.command.lstrip().startswith("curl ") and " -o " not in s.command
    ]

    assert printing  # the README has some
    assert [c for c in printing if "-w '\\n'" not in c] == []


def test_the_readme_image_example_shows_every_field_of_an_image():
    readme = (ROOT / "README.md").read_text()
    example = readme.split("An image looks like this", 1)[1].split("```json", 1)[1]
    example = example.split("```", 1)[0]

    for field in ('"width"', '"actual_height"', '"same_size_as"', '"placeholder"'):
        assert field in example
    assert "eyJ" not in example  # the link shape of an older token format
