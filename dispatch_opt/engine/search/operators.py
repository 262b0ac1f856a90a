"""Local search operators over granular neighbourhoods, compiled: each a small evaluate function.

Each `*_delta` takes a ticket u and one of its nearest tickets w (both planned) and returns the
change in total cost of its move, writing the new sequences of the one or two routes it touches
into buffers (INF: not allowed or infeasible); `commit` then puts those sequences in place. As in
VROOM (one class per operator) and PyVRP (granular neighbourhoods), an operator only ever looks at
u next to its nearest tickets, so a pass costs O(tickets x neighbours x route evaluation).

- relocate: u moves right after w (or before w);
- or-opt: u with the one or two visits after it moves after w, as a string;
- swap: u and w change places;
- 2-opt*: the rest of u's route after u and the rest of w's route after w change routes;
- 2-opt: inside one route, the visits from after u up to w are reversed.

Frozen visits (route heads) never move; a locked route (see routes.RouteState) is never a source
and never changes its order.
"""

from __future__ import annotations

from .kernel import INF, lean, splice_cost
from .routes import refresh, stock_holds, tidy

RELOCATE, RELOCATE_BEFORE, OR_OPT2, OR_OPT3, SWAP, TWO_OPT_STAR, TWO_OPT = 0, 1, 2, 3, 4, 5, 6
OPERATORS = (RELOCATE, RELOCATE_BEFORE, OR_OPT2, OR_OPT3, SWAP, TWO_OPT_STAR, TWO_OPT)


@lean
def position(s, x):
    v = s.where[x]
    seq = s.seq[v]
    for i in range(s.n[v]):
        if seq[i] == x:
            return i
    return -1


@lean
def _splice(a, s, v, k, mid, n_mid, j):
    return splice_cost(
        a,
        v,
        s.seq[v],
        s.n[v],
        k,
        mid,
        n_mid,
        j,
        s.st_t[v],
        s.st_cost[v],
        s.st_taken[v],
        s.st_last[v],
        s.st_duty[v],
        s.cost[v],
    )


@lean
def _fits(a, s, v, nodes, n_nodes, out_nodes, n_out):
    """Route v may take `nodes` while giving up `out_nodes`: eligible, and the engineer's van
    holds the parts (what it gives up goes back on the van)."""
    for i in range(n_nodes):
        if not a.allowed[nodes[i], v]:
            return False
    e = a.v_engineer[v]
    for p in range(a.need.shape[1]):
        q = s.free[e, p]
        for i in range(n_out):
            q += a.need[out_nodes[i], p]
        for i in range(n_nodes):
            q -= a.need[nodes[i], p]
        if q < 0:
            return False
    return True


@lean
def _copy(src, lo, hi, dst, at):
    for i in range(lo, hi):
        dst[at + i - lo] = src[i]
    return at + hi - lo


@lean
def move_string(a, s, u, length, w, after, buf_u, buf_w, lens):
    """Relocate (length 1) or or-opt (2, 3): u and the visits after it go next to w."""
    vu, vw = s.where[u], s.where[w]
    if s.locked[vu] or (s.locked[vw] and vu == vw):
        return INF
    iu, iw = position(s, u), position(s, w)
    if iu < s.fixed[vu] or iu + length > s.n[vu]:
        return INF
    p = iw + 1 if after else iw
    if p < s.fixed[vw]:
        return INF
    seq_u = s.seq[vu]
    if vu == vw:
        if iu <= p <= iu + length:
            return INF  # no change
        # new order written into buf_u, evaluated from the first changed position
        if p > iu:
            k, n_mid = iu, 0
            n_mid = _copy(seq_u, iu + length, p, buf_w, 0)
            n_mid = _copy(seq_u, iu, iu + length, buf_w, n_mid)
            j = p
        else:
            k = p
            n_mid = _copy(seq_u, iu, iu + length, buf_w, 0)
            n_mid = _copy(seq_u, p, iu, buf_w, n_mid)
            j = iu + length
        c = _splice(a, s, vu, k, buf_w, n_mid, j)
        if c == INF:
            return INF
        m = _copy(seq_u, 0, k, buf_u, 0)
        m = _copy(buf_w, 0, n_mid, buf_u, m)
        m = _copy(seq_u, j, s.n[vu], buf_u, m)
        lens[0], lens[1] = m, -1
        return c - s.cost[vu]
    string = seq_u[iu : iu + length]
    given_back = 0 if a.v_engineer[vu] != a.v_engineer[vw] else length  # the same van
    if not _fits(a, s, vw, string, length, string, given_back):
        return INF
    c_u = _splice(a, s, vu, iu, buf_u, 0, iu + length)
    if c_u == INF:
        return INF
    _copy(seq_u, iu, iu + length, buf_w, 0)
    c_w = _splice(a, s, vw, p, buf_w, length, p)
    if c_w == INF:
        return INF
    m = _copy(seq_u, 0, iu, buf_u, 0)
    lens[0] = _copy(seq_u, iu + length, s.n[vu], buf_u, m)
    seq_w = s.seq[vw]
    m = _copy(seq_w, 0, p, buf_w, 0)
    m = _copy(seq_u, iu, iu + length, buf_w, m)
    lens[1] = _copy(seq_w, p, s.n[vw], buf_w, m)
    return c_u - s.cost[vu] + c_w - s.cost[vw]


@lean
def swap(a, s, u, w, buf_u, buf_w, lens):
    """u and w change places (in two routes)."""
    vu, vw = s.where[u], s.where[w]
    if vu == vw or s.locked[vu] or s.locked[vw]:
        return INF
    iu, iw = position(s, u), position(s, w)
    if iu < s.fixed[vu] or iw < s.fixed[vw]:
        return INF
    one_u, one_w = s.seq[vu, iu : iu + 1], s.seq[vw, iw : iw + 1]
    if a.v_engineer[vu] != a.v_engineer[vw]:
        if not _fits(a, s, vu, one_w, 1, one_u, 1) or not _fits(a, s, vw, one_u, 1, one_w, 1):
            return INF
    elif not a.allowed[w, vu] or not a.allowed[u, vw]:
        return INF
    c_u = _splice(a, s, vu, iu, one_w, 1, iu + 1)
    if c_u == INF:
        return INF
    c_w = _splice(a, s, vw, iw, one_u, 1, iw + 1)
    if c_w == INF:
        return INF
    lens[0] = _copy(s.seq[vu], 0, s.n[vu], buf_u, 0)
    lens[1] = _copy(s.seq[vw], 0, s.n[vw], buf_w, 0)
    buf_u[iu], buf_w[iw] = w, u
    return c_u - s.cost[vu] + c_w - s.cost[vw]


@lean
def two_opt_star(a, s, u, w, buf_u, buf_w, lens):
    """The rest of u's route after u and the rest of w's route after w change routes."""
    vu, vw = s.where[u], s.where[w]
    if vu == vw or s.locked[vu] or s.locked[vw]:
        return INF
    iu, iw = position(s, u), position(s, w)
    if iu + 1 < s.fixed[vu] or iw + 1 < s.fixed[vw]:
        return INF
    nu, nw = s.n[vu], s.n[vw]
    if iu + 1 == nu and iw + 1 == nw:
        return INF
    tail_u, tail_w = s.seq[vu, iu + 1 : nu], s.seq[vw, iw + 1 : nw]
    if a.v_engineer[vu] != a.v_engineer[vw]:
        if not _fits(a, s, vu, tail_w, nw - iw - 1, tail_u, nu - iu - 1):
            return INF
        if not _fits(a, s, vw, tail_u, nu - iu - 1, tail_w, nw - iw - 1):
            return INF
    else:
        for x in tail_w:
            if not a.allowed[x, vu]:
                return INF
        for x in tail_u:
            if not a.allowed[x, vw]:
                return INF
    c_u = _splice(a, s, vu, iu + 1, tail_w, nw - iw - 1, nu)
    if c_u == INF:
        return INF
    c_w = _splice(a, s, vw, iw + 1, tail_u, nu - iu - 1, nw)
    if c_w == INF:
        return INF
    m = _copy(s.seq[vu], 0, iu + 1, buf_u, 0)
    lens[0] = _copy(s.seq[vw], iw + 1, nw, buf_u, m)
    m = _copy(s.seq[vw], 0, iw + 1, buf_w, 0)
    lens[1] = _copy(s.seq[vu], iu + 1, nu, buf_w, m)
    return c_u - s.cost[vu] + c_w - s.cost[vw]


@lean
def two_opt(a, s, u, w, buf_u, buf_w, lens):
    """Inside one route, the visits from after u up to w are reversed."""
    v = s.where[u]
    if v != s.where[w] or s.locked[v]:
        return INF
    iu, iw = position(s, u), position(s, w)
    if iw <= iu + 1 or iu + 1 < s.fixed[v]:
        return INF
    for i in range(iw - iu):
        buf_w[i] = s.seq[v, iw - i]
    c = _splice(a, s, v, iu + 1, buf_w, iw - iu, iw + 1)
    if c == INF:
        return INF
    m = _copy(s.seq[v], 0, iu + 1, buf_u, 0)
    m = _copy(buf_w, 0, iw - iu, buf_u, m)
    lens[0], lens[1] = _copy(s.seq[v], iw + 1, s.n[v], buf_u, m), -1
    return c - s.cost[v]


@lean
def delta(a, s, op, u, w, buf_u, buf_w, lens):
    if op == RELOCATE:
        return move_string(a, s, u, 1, w, True, buf_u, buf_w, lens)
    if op == RELOCATE_BEFORE:
        return move_string(a, s, u, 1, w, False, buf_u, buf_w, lens)
    if op == OR_OPT2:
        return move_string(a, s, u, 2, w, True, buf_u, buf_w, lens)
    if op == OR_OPT3:
        return move_string(a, s, u, 3, w, True, buf_u, buf_w, lens)
    if op == SWAP:
        return swap(a, s, u, w, buf_u, buf_w, lens)
    if op == TWO_OPT_STAR:
        return two_opt_star(a, s, u, w, buf_u, buf_w, lens)
    return two_opt(a, s, u, w, buf_u, buf_w, lens)


@lean
def _assign(a, s, v, buf, n):
    e = a.v_engineer[v]
    for i in range(s.n[v]):
        x = s.seq[v, i]
        if x < a.nt:
            s.where[x] = -1
            for p in range(a.need.shape[1]):
                s.free[e, p] += a.need[x, p]
                s.used[v, p] -= a.need[x, p]
    for i in range(n):
        x = buf[i]
        s.seq[v, i] = x
        if x < a.nt:
            s.where[x] = v
            for p in range(a.need.shape[1]):
                s.free[e, p] -= a.need[x, p]
                s.used[v, p] += a.need[x, p]
    for i in range(n, s.n[v]):
        s.seq[v, i] = -1
    s.n[v] = n


@lean
def commit(a, s, vu, vw, buf_u, buf_w, lens):
    """Put the sequences a `*_delta` call wrote in place (vw ignored when lens[1] < 0)."""
    if lens[1] >= 0:
        _assign(a, s, vw, buf_w, lens[1])  # first: a ticket moved here leaves vu's count right
    _assign(a, s, vu, buf_u, lens[0])
    if lens[1] >= 0:
        for i in range(lens[1]):
            x = buf_w[i]
            if x < a.nt:
                s.where[x] = vw
        refresh(a, s, vw)
    refresh(a, s, vu)
    tidy(a, s, a.v_engineer[vu])
    if lens[1] >= 0:
        tidy(a, s, a.v_engineer[vw])


@lean
def stock_stays(a, s, vu, vw, buf_u, buf_w, lens):
    """The sequences a `*_delta` call wrote keep both engineers' vans from running short along
    their shifts (only in doubt where the search added restock stops)."""
    n_w = lens[1] if lens[1] >= 0 else -1
    e_u, e_w = a.v_engineer[vu], a.v_engineer[vw]
    if not stock_holds(a, s, e_u, vu, buf_u, lens[0], vw, buf_w, n_w):
        return False
    # the same engineer's two shifts were both walked above
    return n_w < 0 or e_w == e_u or stock_holds(a, s, e_w, vu, buf_u, lens[0], vw, buf_w, n_w)


@lean
def local_search(a, s, order, granular, max_passes):
    """First-improvement descent: each planned ticket u (in `order`) against its `granular`
    nearest planned tickets, every operator, until a pass finds nothing (or `max_passes`).
    Returns the moves made."""
    buf_u, buf_w, lens = s.buf[0], s.buf[1], s.lens
    moves = 0
    k = min(granular, a.neighbours.shape[1])
    for _ in range(max_passes):
        improved = False
        for u in order:
            if s.where[u] < 0:
                continue
            for i in range(k):
                w = a.neighbours[u, i]
                if s.where[w] < 0 or s.where[u] < 0:
                    continue
                for op in OPERATORS:
                    d = delta(a, s, op, u, w, buf_u, buf_w, lens)
                    vu, vw = s.where[u], s.where[w]
                    if d < -1e-6 and stock_stays(a, s, vu, vw, buf_u, buf_w, lens):
                        commit(a, s, vu, vw, buf_u, buf_w, lens)
                        moves += 1
                        improved = True
                        break
        if not improved:
            break
    return moves
