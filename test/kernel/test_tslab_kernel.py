"""Kernel tests: Debian's jupyter_kernel_test against the kernel lemol registers (lemol-kernel:
tslab's, with error outputs and a truthful busy status; src/notebook/kernel.ts), then what lemol's
kernel adds, asserted on the wire.

tslab sends no execute_result and no history, so those generic samples are left out. lemol's rich
outputs are checked to arrive as display_data with their mime types: HTML, a table, an animation.

Run (from the repository root, with JUPYTER_PATH pointing at .jupyter/share/jupyter):
    /usr/bin/python3 -m unittest discover -s test/kernel -v
"""
import os
import time
import unittest

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "notebooks")


class TslabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "tslab"
    language_name = "typescript"
    file_extension = ".ts"

    @classmethod
    def setUpClass(cls):
        # the kernel runs in notebooks/, where `import ... from "lemol"` resolves (as for a user)
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, cwd=NOTEBOOKS, startup_timeout=120)

    code_hello_world = 'console.log("hello, world")'
    code_generate_error = 'throw new Error("expected")'
    code_stderr = 'console.error("to stderr")'
    completion_samples = [{"text": "Math.ab", "matches": {"abs"}}]
    complete_code_samples = ["1", "let x = 1;"]
    incomplete_code_samples = ["function f() {"]
    code_inspect_sample = "Math.max"
    code_display_data = [
        {"code": 'import * as lemol from "lemol";\nlemol.display({ "text/html": "<i>y</i>", "text/plain": "y" });', "mime": "text/html"},
        {"code": 'lemol.display({ "text/html": "<b>x</b>", "text/plain": "x" });', "mime": "text/html"},
        {"code": 'new lemol.Figure([{ type: "scatter", x: [1, 2], y: [3, 4] }]).show();', "mime": "text/html"},
        {"code": 'lemol.show([{ a: 1, b: "x" }]);', "mime": "text/html"},
        {"code": 'lemol.animate(lemol.recordEpisode(lemol.makeEnv("simple_push", { seed: 1 }), undefined, { steps: 3 }));', "mime": "text/html"},
    ]

    def run_cell(self, code, timeout=60):
        """Executes code; returns (reply, stderr text, error output or None)."""
        self.flush_channels()
        msg_id = self.kc.execute(code)
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        stderr, error = "", None
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                stderr += msg["content"]["text"]
            if msg["msg_type"] == "error":
                error = msg["content"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                time.sleep(0.3)  # tslab cancels requests that arrive within 200 ms of a failure
                return reply, stderr, error

    def test_a_type_error_is_an_error_output(self):
        # tslab type-checks cells against lemol's .d.ts: misuse is caught before running
        reply, stderr, error = self.run_cell('import { makeEnv } from "lemol";\nconst n: string = makeEnv("simple_push").n;')
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(stderr, "")
        self.assertEqual(error["ename"], "TSError")
        self.assertIn("Type 'number' is not assignable to type 'string'", error["evalue"])
        self.assertEqual(reply["content"]["ename"], "TSError")

    def test_a_lemol_error_shows_its_message_and_no_kernel_frames(self):
        reply, stderr, error = self.run_cell('import { Experiment } from "lemol";\nawait Experiment.create({ num_episodes: -3 });')
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(stderr, "")
        self.assertEqual(error["ename"], "ConfigError")
        self.assertIn("num_episodes", error["evalue"])
        # the frames, then the cell's line under a caret (the frame in the cell's own code)
        self.assertRegex(error["traceback"][-1], r"^Cell In\[\d+\], line 2:\nawait Experiment.create")
        frames = "\n".join(error["traceback"][1:-1])
        for internal in ("node:", "tslab", "commander", "kernel.js", "node_modules"):
            self.assertNotIn(internal, frames)
        self.assertTrue(all(f.strip().startswith("at ") for f in error["traceback"][1:-1]), error["traceback"])
        self.assertRegex(error["traceback"][-2], r"^    at \(Cell In\[\d+\], line 2, column \d+\)$")

    def test_the_status_stays_busy_while_queued_cells_run(self):
        self.flush_channels()
        ids = [self.kc.execute("await new Promise((r) => setTimeout(r, 1000)); 1") for _ in range(3)]
        timeline, started, done = [], time.time(), set()
        while len(done) < 3 and time.time() - started < 30:
            msg = self.kc.get_iopub_msg(timeout=10)
            parent = msg["parent_header"].get("msg_id")
            if msg["msg_type"] == "status" and parent in ids:
                state = msg["content"]["execution_state"]
                timeline.append((time.time() - started, state, ids.index(parent)))
                if state == "idle":
                    done.add(parent)
        # after every idle but the last comes a busy (within the same moment): the indicator never rests
        for k, (t, state, which) in enumerate(timeline[:-1]):
            if state == "idle":
                self.assertEqual(timeline[k + 1][1], "busy", timeline)
                self.assertLess(timeline[k + 1][0] - t, 0.05, timeline)
        self.assertEqual(timeline[-1][1:], ("idle", 2), timeline)
        self.assertGreater(timeline[-1][0], 2.9, "the three cells ran one after another")


if __name__ == "__main__":
    unittest.main()
