"""Our app with one optimisation switched off, for bench/ablation.py: each factory patches one
thing from outside and then builds the app with `api.main.create_app`, so api/ keeps no switch
for a benchmark. Served as `uvicorn --app-dir bench --factory ablation_apps:<name>`.

- `memo_off`: the database memo (api/db.py `Database.memo`, api/represent.py) keeps nothing, so
  every request queries and presents its items, in the threadpool;
- `threadpool`: every route and dependency as a plain `def` (FastAPI runs each in the
  threadpool), doing there what ours does on the event loop, the work the memo lacks included;
- `uuid4_ids`: request ids from uuid4 instead of api/logs.py's random prefix and counter;
- `no_gc_freeze`: no `gc.collect(); gc.freeze()` after start-up (api/main.py's lifespan).

The fifth ablation, the response cache off, needs no factory: RESPONSE_CACHE_ENTRIES=0 is a
setting. Each factory fails at start-up when what it patches is gone, so that a change in api/
cannot leave a variant silently identical to ours.
"""

# No `from __future__ import annotations`, as in reference_apps.py.
import asyncio
import dataclasses
import gc
import inspect
import types
import typing
import uuid


def memo_off():
    """Every Database's memo replaced, once it is made, by one that never finds anything."""
    from api import db, main
    from api.lru import SharedLRU

    class Forgetful(SharedLRU):
        def get(self, key):
            return None

        def put(self, key, item):
            pass

    opened = db.Database.__init__

    def forgetful_init(self, *args, **kwargs):
        opened(self, *args, **kwargs)
        if not isinstance(getattr(self, "memo", None), SharedLRU):
            raise RuntimeError("Database has no SharedLRU memo any more: update bench/ablation_apps.py")
        self.memo = Forgetful(0, 0)

    db.Database.__init__ = forgetful_init
    return main.create_app()


def uuid4_ids():
    """A uuid4 per request (32 hex digits, as long as ours) where the front door asks for an id."""
    from api import front, main

    if not hasattr(front, "new_request_id"):
        raise RuntimeError("api.front no longer calls new_request_id: update bench/ablation_apps.py")
    front.new_request_id = lambda: uuid.uuid4().hex.encode()
    return main.create_app()


def no_gc_freeze():
    """The lifespan's `gc.collect(); gc.freeze()` made no-ops (api.main's own name `gc` only)."""
    from api import main

    if getattr(main, "gc", None) is not gc:
        raise RuntimeError("api.main no longer uses the gc module: update bench/ablation_apps.py")
    main.gc = types.SimpleNamespace(collect=lambda: 0, freeze=lambda: None, unfreeze=gc.unfreeze)
    return main.create_app()


def threadpool():
    """Every endpoint and every dependency of api/routes (and the app's own `check_query`) as a
    plain `def` with the same parameters, so FastAPI runs each in the threadpool, one hop each, as
    the tutorial way writes them; the work the memo lacks, which ours sends to the threadpool
    (`run_in_threadpool` in api/db.py and api/represent.py), then runs in that same thread."""
    from fastapi.routing import APIRoute
    from reference_apps import api_routers

    from api import db, main, represent

    async def in_this_thread(function, *args, **kwargs):
        return function(*args, **kwargs)

    for module in (db, represent):
        if not hasattr(module, "run_in_threadpool"):
            raise RuntimeError(f"{module.__name__} no longer uses run_in_threadpool: update bench/ablation_apps.py")
        module.run_in_threadpool = in_this_thread
    routes = [route for router in api_routers() for route in router.routes if isinstance(route, APIRoute)]
    if not any(inspect.iscoroutinefunction(route.endpoint) for route in routes):
        raise RuntimeError("no async endpoint left in api/routes: update bench/ablation_apps.py")
    for route in routes:
        route.endpoint = plain(route.endpoint)
        route.dependencies = [plain_depends(dependency) for dependency in route.dependencies]
    main.check_query = plain(main.check_query)
    # A new app, as framework_ceiling's: its routes are built from the replaced endpoints.
    return main.create_app()


_plain: dict = {}  # one plain function per callable: FastAPI caches a dependency's value by its callable


def plain(call):
    """`call` as a plain `def` with the same signature, its dependencies made plain too. An async
    `call` is run to its end in the calling thread: with `run_in_threadpool` replaced, nothing in
    it waits on the event loop. It refuses to run on the event loop: FastAPI would then not have
    taken it for a plain `def`, and the variant would measure ours."""
    if call in _plain:
        return _plain[call]
    signature = inspect.signature(call, eval_str=True)
    parameters = [
        p.replace(annotation=plain_annotation(p.annotation), default=plain_depends(p.default)) for p in signature.parameters.values()
    ]
    is_async = inspect.iscoroutinefunction(call)

    def run(**values):
        if on_event_loop():
            raise RuntimeError(f"{call.__name__} ran on the event loop: FastAPI did not take it for a plain def")
        result = call(**values)
        return run_to_end(result) if is_async else result

    run.__signature__ = signature.replace(parameters=parameters)
    run.__name__, run.__qualname__, run.__doc__ = call.__name__, call.__qualname__, call.__doc__
    _plain[call] = run
    return run


def plain_depends(value):
    from fastapi import params

    if isinstance(value, params.Depends) and value.dependency is not None:
        return dataclasses.replace(value, dependency=plain(value.dependency))
    return value


def plain_annotation(annotation):
    """`Annotated[T, Depends(f), ...]` with `f` made plain; any other annotation as it is."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return annotation
    base, *metadata = typing.get_args(annotation)
    replaced = [plain_depends(item) for item in metadata]
    if all(new is old for new, old in zip(replaced, metadata, strict=True)):
        return annotation
    return typing.Annotated.__class_getitem__((base, *replaced))


def run_to_end(coroutine):
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a coroutine waited on the event loop inside a plain def")


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
