"""The local AWS emulator: moto's server, with every request serialised.

moto's backends are not thread-safe: under concurrent requests a
TransactWriteItems condition can pass twice, and iterating a table while
another request writes to it fails with "dictionary changed size during
iteration". DynamoDB itself serialises conflicting transactions, and our tests
rely on that (one concurrent writer wins). One lock around the application
gives the emulator the same guarantee. Long polls are not used against it (the
dev server polls queues with WaitTimeSeconds=0), so the lock is never held
while waiting.

moto's TransactWriteItems also deep-copies the whole table — every item and
every stream record — once per item of the transaction, to roll back a
cancelled one. That is O(table) work per write: a test run slows down as the
table grows and the process grows by gigabytes. `cheap_transactions()`
replaces the copy with a journal of just the items the transaction touches
(and the stream's length), restored when it is cancelled — the same outcome,
including no stream records from a cancelled transaction.

Usage: python moto_server.py HOST PORT
"""

import copy
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

try:
    from moto.server import MotoRequestHandler
except ImportError:  # older moto
    MotoRequestHandler = None


def cheap_transactions() -> None:
    from moto.dynamodb import models as ddb
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class NoTableCopy:
        """`copy` as moto's DynamoDB backend sees it: tables are not copied."""

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name):
            return getattr(copy, name)

    ddb.copy = NoTableCopy()
    original = ddb.DynamoDBBackend.transact_write_items

    def key_of(table, op_type, op):
        attrs = op["Item"] if op_type == "Put" else op["Key"]
        h = DynamoType(attrs[table.hash_key_attr])
        r = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr and table.range_key_attr in attrs else None
        return h, r

    def restore(table, h, r, saved):
        if r is not None:
            if saved is None:
                table.items.get(h, {}).pop(r, None)
            else:
                table.items[h][r] = saved
        elif saved is None:
            table.items.pop(h, None)
        else:
            table.items[h] = saved

    def transact_write_items(self, transact_items):
        journal, streams = [], {}
        for entry in transact_items:
            if len(entry) != 1:
                continue
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            try:
                h, r = key_of(table, op_type, op)
            except (KeyError, TypeError):
                continue
            if table.range_key_attr and r is None:
                continue  # moto refuses it before writing anything
            journal.append((table, h, r, copy.deepcopy(table.get_item(h, r))))
            if table.stream_shard is not None and id(table) not in streams:
                streams[id(table)] = (table, len(table.stream_shard.items))
        try:
            return original(self, transact_items)
        except Exception:
            for table, h, r, saved in reversed(journal):
                restore(table, h, r, saved)
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            raise

    ddb.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    cheap_transactions()
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            body = app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()

    kwargs = {"threaded": True}
    if MotoRequestHandler is not None:
        kwargs["request_handler"] = MotoRequestHandler
    run_simple(host, port, serialised, **kwargs)


if __name__ == "__main__":
    main()
