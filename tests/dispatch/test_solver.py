import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.services.problem import FixedRoute, Job, Problem, UnplannedReason, VehicleSpec
from dispatch.services.solver import problem_solve
from tests.dispatch.checker import check_plan, exact_distance


def _problem(points, jobs_spec, vehicles_spec, fixed=()):
    distances = [[math.dist(a, b) for b in points] for a in points]
    durations = [[d * 1.7 for d in row] for row in distances]
    jobs = [
        Job(
            key=100 + i,
            location=i + 1,
            delivery=(kg, slots),
            pickup=(0, empties),
            service_seconds=service,
            window_start=start,
            window_end=end,
        )
        for i, (kg, slots, empties, service, start, end) in enumerate(jobs_spec)
    ]
    vehicles = [
        VehicleSpec(key=k, depot_location=0, capacity=cap, shift_start=s, shift_end=e)
        for k, (cap, s, e) in enumerate(vehicles_spec)
    ]
    return Problem(jobs=jobs, vehicles=vehicles, distances=distances, durations=durations, fixed=list(fixed))


job_specs = st.tuples(
    st.integers(0, 120),
    st.integers(0, 6),
    st.integers(0, 4),
    st.floats(0, 30),
    st.floats(0, 300),
    st.floats(0, 400),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    coordinates=st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=2, max_size=12),
    data=st.data(),
)
def test_random_small_days_give_feasible_plans_and_every_order_is_accounted_for(coordinates, data):
    # given a random day
    specs = data.draw(st.lists(job_specs, min_size=len(coordinates) - 1, max_size=len(coordinates) - 1))
    specs = [(kg, slots, e, sv, min(a, b), max(a, b)) for kg, slots, e, sv, a, b in specs]
    vehicles = data.draw(
        st.lists(
            st.tuples(st.tuples(st.integers(50, 300), st.integers(4, 15)), st.just(0.0), st.floats(200, 900)),
            min_size=1,
            max_size=3,
        )
    )
    problem = _problem(coordinates, specs, vehicles)
    # when
    plan = problem_solve(problem=problem, seconds=0.2)
    # then
    routes = plan.route_keys()
    assert check_plan(problem=problem, routes=routes, unplanned=plan.unplanned) == []
    assert math.isclose(plan.distance, exact_distance(problem=problem, routes=routes))


def test_unplannable_orders_come_back_with_their_reason():
    problem = _problem(
        [(0, 0), (1, 0), (2, 0), (500, 0)],
        [(500, 1, 0, 0, 0, 100), (10, 1, 0, 0, 0, 100), (10, 1, 0, 0, 0, 100)],
        [((100, 10), 0.0, 100.0)],
    )
    plan = problem_solve(problem=problem, seconds=0.2)
    assert plan.unplanned == {100: UnplannedReason.OVER_CAPACITY, 102: UnplannedReason.OUTSIDE_SHIFTS}
    assert plan.route_keys() == {0: [101]}


def test_fixed_stops_stay_first_and_in_order_and_the_rest_is_planned_around_them():
    points = [(0, 0), (10, 0), (1, 0), (2, 0), (3, 0)]
    specs = [(10, 1, 1, 1, 0, 1000)] * 4
    fixed = [FixedRoute(vehicle_key=0, job_keys=(100, 103))]
    problem = _problem(points, specs, [((100, 10), 0.0, 1000.0), ((100, 10), 0.0, 1000.0)], fixed)
    plan = problem_solve(problem=problem, seconds=0.3)
    routes = plan.route_keys()
    assert check_plan(problem=problem, routes=routes, unplanned=plan.unplanned, fixed={0: [100, 103]}) == []
    assert routes[0][:2] == [100, 103]
    assert plan.unplanned == {}


def test_empties_collected_count_against_the_slots_on_the_way_back():
    # two customers each take 3 full and give back 3 empties: at most 6 slots aboard at any time
    problem = _problem([(0, 0), (1, 0), (2, 0)], [(0, 3, 3, 0, 0, 100), (0, 3, 3, 0, 0, 100)], [((100, 6), 0.0, 100.0)])
    plan = problem_solve(problem=problem, seconds=0.2)
    assert sorted(plan.route_keys()[0]) == [100, 101]
    tight = _problem([(0, 0), (1, 0), (2, 0)], [(0, 3, 4, 0, 0, 100), (0, 3, 3, 0, 0, 100)], [((100, 6), 0.0, 100.0)])
    plan = problem_solve(problem=tight, seconds=0.2)
    routes = plan.route_keys()
    assert check_plan(problem=tight, routes=routes, unplanned=plan.unplanned) == []
    assert len(plan.unplanned) == 1


def test_a_window_narrower_than_the_solvers_time_unit_is_reported_not_a_crash():
    # given an order whose window is half a second wide at a fractional second (found by Hypothesis)
    problem = _problem([(0, 0), (50, 4)], [(0, 0, 0, 0.0, 0.5, 0.5)], [((50, 4), 0.0, 200.0)])
    # when
    plan = problem_solve(problem=problem, seconds=0.2)
    # then it comes back unplanned with its reason, and nothing is routed
    assert plan.unplanned == {100: UnplannedReason.OUTSIDE_SHIFTS}
    assert all(not route.stops for route in plan.routes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    coordinates=st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=3, max_size=12),
    data=st.data(),
)
def test_random_days_replanned_around_locks_in_the_middle_of_routes_keep_every_lock_in_its_place(coordinates, data):
    # given a random day planned once, then stops picked anywhere in its routes: a done prefix and locks after it
    specs = data.draw(st.lists(job_specs, min_size=len(coordinates) - 1, max_size=len(coordinates) - 1))
    specs = [(kg, slots, e, sv, min(a, b), max(a, b)) for kg, slots, e, sv, a, b in specs]
    vehicles = data.draw(
        st.lists(
            st.tuples(st.tuples(st.integers(50, 300), st.integers(4, 15)), st.just(0.0), st.floats(200, 900)),
            min_size=1,
            max_size=3,
        )
    )
    first = problem_solve(problem=_problem(coordinates, specs, vehicles), seconds=0.2)
    fixed, locked = {}, {}
    for vehicle_key, keys in first.route_keys().items():
        done = data.draw(st.integers(0, len(keys)))
        picked = data.draw(st.lists(st.booleans(), min_size=len(keys) - done, max_size=len(keys) - done))
        fixed[vehicle_key] = keys[:done]
        locked[vehicle_key] = [key for key, pick in zip(keys[done:], picked, strict=True) if pick]
    problem = _problem(
        coordinates,
        specs,
        vehicles,
        [FixedRoute(vehicle_key=k, job_keys=tuple(fixed[k]), locked_keys=tuple(locked[k])) for k in fixed],
    )
    # when
    plan = problem_solve(problem=problem, seconds=0.2)
    # then
    routes = plan.route_keys()
    assert check_plan(problem=problem, routes=routes, unplanned=plan.unplanned, fixed=fixed, locked=locked) == []
    assert math.isclose(plan.distance, exact_distance(problem=problem, routes=routes))


def _ring(count, radius=10.0):
    """The depot in the middle of a ring of customers: the shortest route goes round the ring, one way or the other."""
    return [(0.0, 0.0)] + [
        (radius * math.cos(2 * math.pi * i / count), radius * math.sin(2 * math.pi * i / count)) for i in range(count)
    ]


def test_a_stop_locked_fifth_of_eight_stays_fifth_with_the_free_stops_planned_around_it():
    # given eight customers round a ring (job 100 + i at the i-th place) and job 104, the fifth, locked
    problem = _problem(
        _ring(8),
        [(10, 1, 1, 5, 0, 1000)] * 8,
        [((100, 10), 0.0, 1000.0)],
        [FixedRoute(vehicle_key=0, locked_keys=(104,))],
    )
    # when the rest is re-planned
    plan = problem_solve(problem=problem, seconds=0.5)
    # then the ring is driven round with 104 still fifth, not moved to the front
    route = plan.route_keys()[0]
    assert route in ([100, 101, 102, 103, 104, 105, 106, 107], [107, 106, 105, 104, 103, 102, 101, 100])
    assert route.index(104) == 4
    assert check_plan(problem=problem, routes=plan.route_keys(), unplanned=plan.unplanned, locked={0: [104]}) == []
    assert plan.unplanned == {}


def test_locked_stops_in_an_odd_order_keep_it_and_their_neighbours_after_the_done_stops():
    # given a done stop (100) and three stops the dispatcher locked across the ring in an order no solver would pick
    fixed = FixedRoute(vehicle_key=0, job_keys=(100,), locked_keys=(106, 102, 104))
    problem = _problem(
        _ring(8), [(10, 1, 1, 5, 0, 1000)] * 8, [((100, 10), 0.0, 1000.0), ((100, 10), 0.0, 1000.0)], [fixed]
    )
    # when
    plan = problem_solve(problem=problem, seconds=0.5)
    # then 100 opens the route and 106, 102, 104 come in that order, each stop once, all within the constraints
    routes = plan.route_keys()
    assert routes[0][0] == 100
    assert [key for key in routes[0] if key in (106, 102, 104)] == [106, 102, 104]
    assert (
        check_plan(
            problem=problem, routes=routes, unplanned=plan.unplanned, fixed={0: [100]}, locked={0: [106, 102, 104]}
        )
        == []
    )
    assert plan.unplanned == {}


def test_the_load_of_the_whole_route_holds_when_free_stops_go_around_a_lock():
    # given one truck of 6 slots, a locked stop giving 3 full for 3 empties, and two free stops of 2 full each:
    # with the locked stop's 3 slots busy all day, only one of the free stops fits (2 + 2 + 3 > 6)
    problem = _problem(
        [(0, 0), (1, 0), (2, 0), (3, 0)],
        [(0, 3, 3, 0, 0, 100), (0, 2, 0, 0, 0, 100), (0, 2, 0, 0, 0, 100)],
        [((100, 6), 0.0, 100.0)],
        [FixedRoute(vehicle_key=0, locked_keys=(100,))],
    )
    # when
    plan = problem_solve(problem=problem, seconds=0.2)
    # then
    routes = plan.route_keys()
    assert check_plan(problem=problem, routes=routes, unplanned=plan.unplanned, locked={0: [100]}) == []
    assert 100 in routes[0]
    assert len(plan.unplanned) == 1


def test_a_lock_on_a_day_without_an_end_splits_the_capacity_and_plans_around_it():
    # given a vehicle without a shift end (a VRPLIB instance without windows) and a locked stop
    problem = _problem(
        _ring(6),
        [(10, 1, 0, 0, 0, math.inf)] * 6,
        [((100, 10), 0.0, math.inf)],
        [FixedRoute(vehicle_key=0, locked_keys=(103,))],
    )
    # when
    plan = problem_solve(problem=problem, seconds=0.2)
    # then every stop is planned around the lock, within the capacity
    routes = plan.route_keys()
    assert check_plan(problem=problem, routes=routes, unplanned=plan.unplanned, locked={0: [103]}) == []
    assert plan.unplanned == {}
