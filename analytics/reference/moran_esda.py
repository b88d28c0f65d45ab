"""Reference Moran's I numbers from PySAL esda for analytics/src/moran.rs's tests (same lattice
and counts as gi_star_esda.py). Run with esda and libpysal installed; commit the printed numbers."""
import numpy as np
import libpysal
from esda.moran import Moran, Moran_Local

ROWS, COLS = 12, 10


def count(r, c):
    hot = 15 if 2 <= r < 5 and 3 <= c < 6 else 0
    return (r * 7 + c * 3) % 11 + hot


y = np.array([count(r, c) for r in range(ROWS) for c in range(COLS)], dtype=float)
w = libpysal.weights.lat2W(ROWS, COLS, rook=False)
w.transform = "r"
g = Moran(y, w, transformation="r", permutations=0)
print(f"const GLOBAL_I: f64 = {float(g.I)!r};")
print(f"const GLOBAL_EI: f64 = {float(g.EI)!r};")
print(f"const GLOBAL_VI_NORM: f64 = {float(g.VI_norm)!r};")
print(f"const GLOBAL_Z_NORM: f64 = {float(g.z_norm)!r};")
l = Moran_Local(y, w, transformation="r", permutations=0)
print(f"const LOCAL_I: [f64; {len(y)}] = [")
print("\n".join(f"    {float(v)!r}," for v in l.Is))
print("];")
print(f"const LOCAL_Q: [u8; {len(y)}] = [")
print("\n".join(f"    {int(v)}," for v in l.q))
print("];")
