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

moto answers every Query by sorting the whole table (`Table.all_items()`)
and filtering it: O(table log table) per query, the cost that made a long
test run slow down as its one table grew. `indexed_queries()` hands the
query only its candidates instead: the partition's items for a table query,
and for a GSI query the items whose index hash key has the asked value, from
postings kept up to date on every write (put, update, delete, and a
cancelled transaction's restore). moto's own code then sorts, pages, filters
and projects them as before, so the answers are the same
(`infra/moto_server_test.py` checks them against the full-table path).

S3 browser uploads: moto stores whatever a `POST` form sends; a real bucket
checks the form's signed policy first. `enforce_post_policies()` makes the
emulator check it too (signature, expiry, conditions, `content-length-range`).

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
                touched(table, h, r)
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            raise

    ddb.DynamoDBBackend.transact_write_items = transact_write_items


def touched(table, h, r) -> None:
    """The item at (h, r) may have changed: its GSI postings follow it."""
    postings = table.__dict__.get("_crm_postings")
    if postings is not None:
        postings.reindex(table, h, r)


class Postings:
    """For each GSI with one hash attribute: value → primary keys of the
    items carrying it; and per primary key, where it is posted."""

    def __init__(self, table):
        self.hash_attr = {}
        for index in table.all_indexes():
            names = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            if len(names) == 1:
                self.hash_attr[index.name] = names[0]
        self.names = tuple(sorted(i.name for i in table.all_indexes()))
        self.by_value = {name: {} for name in self.hash_attr}
        self.of_key = {}
        for h, part in list(table.items.items()):
            for r in (list(part) if table.range_key_attr else [None]):
                self.reindex(table, h, r)

    def reindex(self, table, h, r) -> None:
        key = (h, r)
        for name, value in self.of_key.pop(key, ()):
            keys = self.by_value[name].get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_value[name][value]
        item = table.get_item(h, r) if r is not None or not table.range_key_attr else None
        if item is None:
            return
        posted = []
        for name, attr in self.hash_attr.items():
            value = item.attrs.get(attr)
            if value is not None:
                self.by_value[name].setdefault(value, set()).add(key)
                posted.append((name, value))
        if posted:
            self.of_key[key] = posted

    def candidates(self, table, index_name, value):
        return [item for item in (table.get_item(h, r) for h, r in self.by_value[index_name].get(value, ())) if item is not None]


def indexed_queries() -> None:
    import inspect

    from moto.dynamodb import models as ddb
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    signature = inspect.signature(original_query)
    Table.unindexed_query = original_query

    def postings_of(table):
        postings = table.__dict__.get("_crm_postings")
        names = tuple(sorted(i.name for i in table.all_indexes()))
        if postings is None or postings.names != names:
            postings = Postings(table)
            table.__dict__["_crm_postings"] = postings
        return postings

    def candidates(table, args):
        index_name = args.get("index_name")
        if index_name:
            postings = postings_of(table)
            attr = postings.hash_attr.get(index_name)
            conditions = dict(args.get("hash_key_conditions") or [])
            if attr is None or list(conditions) != [attr]:
                return None
            return postings.candidates(table, index_name, conditions[attr])
        hash_key = args.get("hash_key")
        if hash_key is None:
            return None
        part = table.items.get(hash_key)
        if not part:
            return []
        return list(part.values()) if table.range_key_attr else [part]

    def query(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        found = candidates(self, bound.arguments)
        if found is None:
            return original_query(self, *args, **kwargs)
        self.all_items = lambda: found
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query

    def keys_of(table, attrs):
        try:
            h = DynamoType(attrs[table.hash_key_attr])
            r = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            return h, r
        except (KeyError, TypeError):
            return None

    original_put = Table.put_item

    def put_item(self, item_attrs, *args, **kwargs):
        try:
            return original_put(self, item_attrs, *args, **kwargs)
        finally:
            key = keys_of(self, item_attrs)
            if key is not None:
                touched(self, *key)

    Table.put_item = put_item

    original_delete = Table.delete_item

    def delete_item(self, hash_key, range_key, *args, **kwargs):
        try:
            return original_delete(self, hash_key, range_key, *args, **kwargs)
        finally:
            touched(self, hash_key, range_key)

    Table.delete_item = delete_item

    # An update changes the stored item in place, not through `put_item`.
    original_update = ddb.DynamoDBBackend.update_item

    def update_item(self, table_name, key, *args, **kwargs):
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            found = keys_of(table, key) if table is not None else None
            if found is not None:
                touched(table, *found)

    ddb.DynamoDBBackend.update_item = update_item


def enforce_post_policies() -> None:
    """S3 browser uploads (`POST` with a signed policy), checked as S3 checks
    them — moto stores whatever it is sent. The SigV4 signature of the policy
    (with the emulator's one secret key, `CRM_EMULATOR_SECRET_KEY`, `test`), its
    expiration and every condition: exact matches, `starts-with`, and
    `content-length-range` against the file. A violation is refused with S3's
    own error codes and nothing is stored."""
    import base64
    import datetime
    import hashlib
    import hmac
    import json
    import os

    from moto.s3.responses import S3Response

    secret = os.environ.get("CRM_EMULATOR_SECRET_KEY", "test")

    def error(status, code, message):
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
        return status, {"Content-Type": "application/xml"}, body

    def sign(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    def violation(fields, bucket, size):
        policy_b64 = fields.get("policy", "")
        try:
            policy = json.loads(base64.b64decode(policy_b64))
        except Exception:
            return error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
        credential = fields.get("x-amz-credential", "").split("/")
        if len(credential) != 5:
            return error(403, "AccessDenied", "Invalid according to Policy: missing x-amz-credential")
        _, date, region, service, _ = credential
        key = sign(sign(sign(sign(("AWS4" + secret).encode(), date), region), service), "aws4_request")
        expected = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("x-amz-signature", "")):
            return error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
        expiration = datetime.datetime.fromisoformat(policy.get("expiration", "1970-01-01T00:00:00Z").replace("Z", "+00:00"))
        if expiration < datetime.datetime.now(datetime.timezone.utc):
            return error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        for c in policy.get("conditions", []):
            if isinstance(c, dict):
                for name, value in c.items():
                    actual = bucket if name == "bucket" else fields.get(name)
                    if actual != value:
                        return error(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: [\"eq\", \"${name}\", \"{value}\"]")
            elif isinstance(c, list) and len(c) == 3 and c[0] == "content-length-range":
                if size < int(c[1]):
                    return error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
                if size > int(c[2]):
                    return error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            elif isinstance(c, list) and len(c) == 3 and c[0] == "starts-with":
                if not str(fields.get(c[1].lstrip("$"), "")).startswith(c[2]):
                    return error(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {c}")
        return None

    original = S3Response._bucket_response_post

    # Fields a browser form may carry besides the conditions' own (and
    # `BucketName`, which moto itself adds to what it parsed).
    always = {"policy", "x-amz-signature", "file", "BucketName"}

    def checked(self, request, bucket_name):
        fields = {k: v[0] for k, v in self.querystring.items() if v}
        if "delete" in self.querystring:
            return original(self, request, bucket_name)
        if "key" in fields:
            # A private bucket takes a form upload only under a signed policy.
            if "policy" not in fields or "x-amz-signature" not in fields:
                return error(403, "AccessDenied", "Access Denied")
            body = self.body if isinstance(self.body, (bytes, bytearray)) else str(self.body).encode()
            refused = violation(fields, bucket_name, len(body))
            if refused is not None:
                return refused
            try:
                policy = json.loads(base64.b64decode(fields["policy"]))
                covered = {n for c in policy.get("conditions", []) if isinstance(c, dict) for n in c}
                covered |= {c[1].lstrip("$") for c in policy.get("conditions", []) if isinstance(c, list) and c and c[0] == "starts-with"}
            except Exception:
                covered = set()
            extra = sorted(k for k in fields if k not in covered | always)
            if extra:
                return error(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}")
        return original(self, request, bucket_name)

    S3Response._bucket_response_post = checked


def main() -> None:
    cheap_transactions()
    indexed_queries()
    enforce_post_policies()
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
