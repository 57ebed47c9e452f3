"""Stage 4: static arena planning.

analysis.py  - which buffers exist and when each is alive (pure, from the layer list);
algorithms.py - placement algorithms: pure functions from buffers to offsets;
apply.py     - runs the algorithms, keeps the best, verifies the result.

The planner interface mirrors TFLM's: a buffer is (size, first step, last step);
the plan gives its offset; the arena size is the largest end offset.
"""
from .analysis import Buffer, Overlap, analyse, overlaps
from .apply import Plan, plan_arena
from .verify import verify_plan

__all__ = ["Buffer", "Overlap", "Plan", "analyse", "overlaps", "plan_arena", "verify_plan"]
