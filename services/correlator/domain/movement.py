"""Evidence from the movement between where a child was last seen and where it was observed:
whether confirmed matches made the same movement between coarse cells (`route_level`), and the
direction moved (`heading_level`). A route is named "row:column>row:column" (see `spacetime`);
the pair bound reads the same levels from the cells as numbers. Pure functions, no I/O."""

from __future__ import annotations

from functools import lru_cache

from services.correlator.domain.geo import bearing_degrees, sector
from services.correlator.domain.spacetime import cell_centre

Cells = tuple[int, int, int, int]  # row and column moved from, row and column moved to

# Movements between coarse cells seen in confirmed matches (learnt with the weights, never
# taken from a generator's route table), within one cell, or not seen before.
ROUTE_LEVELS = ("same_cell", "known", "unknown", "missing")
# The direction moved from the last-seen cell to the observation's, in eight sectors: weighed
# by confirmed matches like every level, it carries what known routes teach to movements no
# confirmed match has made yet (a new crossing, a centre opened last month).
HEADING_LEVELS = (
    "north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west",
    "missing",
)


def route_level(route: str | None, routes: frozenset[str]) -> str:
    if route is None:
        return "missing"
    start, _, end = route.partition(">")
    return "same_cell" if start == end else "known" if route in routes else "unknown"


def route_level_of_cells(cells: Cells | None, routes: frozenset[str]) -> str:
    """`route_level` of the route between two cells given as numbers."""
    if cells is None:
        return "missing"
    if cells[0] == cells[2] and cells[1] == cells[3]:
        return "same_cell"
    return "known" if f"{cells[0]}:{cells[1]}>{cells[2]}:{cells[3]}" in routes else "unknown"


def heading_level(route: str | None) -> str:
    """The sector of the bearing between the centres of the cells moved between; "missing"
    without a movement or within one cell (too short for a direction to mean anything)."""
    if route is None:
        return "missing"
    start, _, end = route.partition(">")
    (row, col), (to_row, to_col) = (map(int, cell.split(":")) for cell in (start, end))
    return heading_of_cells((row, col, to_row, to_col))


@lru_cache(maxsize=65_536)
def heading_of_cells(cells: Cells | None) -> str:
    """`heading_level` of the route between two cells given as numbers."""
    if cells is None or (cells[0] == cells[2] and cells[1] == cells[3]):
        return "missing"
    bearing = bearing_degrees(cell_centre(cells[0], cells[1]), cell_centre(cells[2], cells[3]))
    return HEADING_LEVELS[sector(bearing)]
