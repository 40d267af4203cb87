import os, time, tempfile, subprocess, sys, statistics
from pathlib import Path
from tests.bench.startup import silent_racks, bench_env, first_frame_s
with silent_racks(50) as hosts, tempfile.TemporaryDirectory() as tmp:
    env = bench_env(Path(tmp), hosts)
    first_frame_s("bare",env); first_frame_s("dashboard",env)
    r={k:[] for k in ["bare","dash"]}
    for i in range(9):
        r["bare"].append(first_frame_s("bare",env)[0]); r["dash"].append(first_frame_s("dashboard",env)[0])
    for k,v in r.items(): print(k, f"{statistics.median(v)*1000:.0f} ms", [round(x*1000) for x in v])
    print(statistics.median([d/b for d,b in zip(r["dash"],r["bare"])]))
