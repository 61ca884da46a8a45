"""The emulator's patches answer as moto does: `indexed_queries()` against
moto's own full-table query, after random puts, updates, deletes, batch
writes and transactions (committed and cancelled), and `cheap_transactions()`
leaving a cancelled transaction's items as they were.

Run by `make test` (infra/test.sh) with the emulator's virtualenv:
    infra/.venv/bin/python infra/moto_server_test.py
"""

import os
import random
import sys

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import moto_server  # noqa: E402

INDEXES = ["by_kind", "by_owner"]


def create(client):
    client.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ["pk", "sk", "by_kind_pk", "by_kind_sk", "by_owner_pk", "by_owner_sk"]],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": f"{name}_pk", "KeyType": "HASH"}, {"AttributeName": f"{name}_sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name in INDEXES
        ],
    )


def random_item(rng):
    item = {"pk": {"S": f"P{rng.randrange(6)}"}, "sk": {"S": f"S{rng.randrange(12):02}"}, "n": {"N": str(rng.randrange(100))}}
    for name in INDEXES:
        if rng.random() < 0.7:
            item[f"{name}_pk"] = {"S": f"{name}{rng.randrange(4)}"}
            item[f"{name}_sk"] = {"S": f"{rng.randrange(20):02}"}
    return item


def key_of(item):
    return {"pk": item["pk"], "sk": item["sk"]}


def write(client, rng):
    item = random_item(rng)
    roll = rng.random()
    try:
        if roll < 0.35:
            client.put_item(TableName="t", Item=item)
        elif roll < 0.55:
            # Moves an item into, across or out of an index.
            name = rng.choice(INDEXES)
            if rng.random() < 0.5:
                client.update_item(
                    TableName="t",
                    Key=key_of(item),
                    UpdateExpression="SET #p = :p, #s = :s ADD n :one",
                    ExpressionAttributeNames={"#p": f"{name}_pk", "#s": f"{name}_sk"},
                    ExpressionAttributeValues={":p": {"S": f"{name}{rng.randrange(4)}"}, ":s": {"S": "05"}, ":one": {"N": "1"}},
                )
            else:
                client.update_item(
                    TableName="t",
                    Key=key_of(item),
                    UpdateExpression="REMOVE #p",
                    ExpressionAttributeNames={"#p": f"{name}_pk"},
                    ConditionExpression="attribute_exists(pk)",
                )
        elif roll < 0.7:
            client.delete_item(TableName="t", Key=key_of(item))
        elif roll < 0.8:
            others = {str(key_of(i)): i for i in (random_item(rng) for _ in range(4))}
            client.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": i}} for i in others.values()]})
        else:
            # A transaction whose last condition may fail: all or nothing.
            ops, seen = [], set()
            for other in (random_item(rng) for _ in range(3)):
                if str(key_of(other)) not in seen:
                    seen.add(str(key_of(other)))
                    ops.append({"Put": {"TableName": "t", "Item": other}})
            last = random_item(rng)
            if str(key_of(last)) not in seen:
                ops.append({"Delete": {"TableName": "t", "Key": key_of(last), "ConditionExpression": "attribute_exists(pk)"}})
            client.transact_write_items(TransactItems=ops)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            raise


def same_answers(table, rng):
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    specs = []
    for p in range(6):
        specs.append(dict(hash_key=DynamoType({"S": f"P{p}"}), index_name=None, hash_key_conditions=[("pk", DynamoType({"S": f"P{p}"}))]))
    for name in INDEXES:
        for v in range(5):
            value = DynamoType({"S": f"{name}{v}"})
            specs.append(dict(hash_key=value, index_name=name, hash_key_conditions=[(f"{name}_pk", value)]))
    for spec in specs:
        forward = rng.random() < 0.5
        limit = rng.choice([None, 1, 3])
        ranged = rng.random() < 0.3
        attr = f"{spec['index_name']}_sk" if spec["index_name"] else "sk"
        args = dict(
            range_comparison="BEGINS_WITH" if ranged else None,
            range_objs=[DynamoType({"S": "0" if spec["index_name"] else "S0"})] if ranged else [],
            limit=limit,
            exclusive_start_key=None,
            scan_index_forward=forward,
            projection_expressions=None,
            range_key_conditions=[(attr, "BEGINS_WITH", [DynamoType({"S": "0" if spec["index_name"] else "S0"})])] if ranged else None,
            **spec,
        )
        while True:
            indexed = table.query(**args)
            full = Table.unindexed_query(table, **args)
            assert [i.to_json() for i in indexed[0]] == [i.to_json() for i in full[0]], (args, indexed[0], full[0])
            assert indexed[1:] == full[1:], (args, indexed[1:], full[1:])
            if not indexed[2]:
                break
            args["exclusive_start_key"] = indexed[2]


def snapshot(table):
    return sorted(str(item.to_json()) for part in table.items.values() for item in part.values())


def main():
    moto_server.cheap_transactions()
    moto_server.indexed_queries()
    rng = random.Random(int(os.environ.get("SEED", "7")))
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create(client)
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends["123456789012"]["eu-west-1"].get_table("t")
        for _ in range(40):
            write(client, rng)
        same_answers(table, rng)  # builds the postings from what is stored
        for _ in range(40):
            for _ in range(20):
                write(client, rng)
            same_answers(table, rng)

        # A cancelled transaction changes nothing, postings included.
        before = snapshot(table)
        existing = next(item for part in table.items.values() for item in part.values())
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "P9"}, "sk": {"S": "S99"}, "by_kind_pk": {"S": "by_kind0"}, "by_kind_sk": {"S": "00"}}}},
                    {"Update": {"TableName": "t", "Key": {"pk": existing.hash_key.to_json(), "sk": existing.range_key.to_json()}, "UpdateExpression": "SET by_kind_pk = :v", "ExpressionAttributeValues": {":v": {"S": "by_kind3"}}}},
                    {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "nope"}, "sk": {"S": "nope"}}, "ConditionExpression": "attribute_exists(pk)"}},
                ]
            )
            raise AssertionError("the transaction should have been cancelled")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "TransactionCanceledException", e
        assert snapshot(table) == before
        same_answers(table, rng)

        # And through the API, paging included.
        got, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = client.query(TableName="t", IndexName="by_kind", KeyConditionExpression="by_kind_pk = :v", ExpressionAttributeValues={":v": {"S": "by_kind1"}}, Limit=2, **kwargs)
            got += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        expected = [i for part in table.items.values() for i in part.values() if i.attrs.get("by_kind_pk") and i.attrs["by_kind_pk"].value == "by_kind1"]
        assert len(got) == len(expected), (len(got), len(expected))
    print(f"moto_server_test: indexed queries answer as moto's full-table queries ({len(snapshot(table))} items)")


if __name__ == "__main__":
    main()
