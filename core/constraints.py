"""A foreign key over several columns, which Django's fields cannot declare.

``ForeignKeyConstraint(fields=["statement", "team"], to="billing.Statement", to_fields=["id",
"team"], name=...)`` makes the database refuse a row whose (statement_id, team_id) is not the
(id, team_id) of a statement: the row's statement exists *and* belongs to the row's team. It
replaces the two single-column keys it covers (declare those fields ``db_constraint=False``),
so the database checks one key where it checked two, and states an invariant the two did not.

The referenced columns need a unique constraint of their own (both PostgreSQL and SQLite
refuse a key to columns that are not unique together). Like Django's keys, the check is
deferred to commit, on PostgreSQL and on SQLite (whose schema editor rebuilds the table with
the constraint in its definition). As for any composite key in SQL (MATCH SIMPLE), a row
with one of the columns NULL is not checked: declare them on non-null fields.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db.models import Field, Model
from django.db.models.constraints import BaseConstraint
from django.db.utils import DEFAULT_DB_ALIAS


def _column(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model._meta.label}.{name} is not a column.")
    return field


class ForeignKeyConstraint(BaseConstraint):
    def __init__(
        self,
        *,
        fields: Sequence[str],
        to: str,
        to_fields: Sequence[str],
        name: str,
        violation_error_code: str | None = None,
        violation_error_message: str | None = None,
    ) -> None:
        if not fields or len(fields) != len(to_fields):
            raise ValueError("ForeignKeyConstraint needs as many fields as to_fields, at least one.")
        self.fields = tuple(fields)
        self.to = to
        self.to_fields = tuple(to_fields)
        super().__init__(
            name=name,
            violation_error_code=violation_error_code,
            violation_error_message=violation_error_message,
        )

    def _target(self, model: type[Model]) -> type[Model]:
        """The referenced model, as the model's own foreign keys see it: in a migration, the
        historical model of that state (SQLite's schema editor rebuilds a table from a copy of
        the model in a registry of its own, where only its fields still know the others)."""
        label = self.to.lower()
        remotes = [
            field.related_model
            for field in model._meta.local_fields
            if field.related_model is not None and not isinstance(field.related_model, str)
        ]
        for remote in remotes:
            if remote._meta.label_lower == label:
                return remote
        # A model none of its fields references: from the registry the referenced models are in.
        for remote in remotes:
            try:
                return remote._meta.apps.get_model(self.to)
            except LookupError:
                continue
        return model._meta.apps.get_model(self.to)

    def _sql(self, model: type[Model], schema_editor) -> str:
        quote = schema_editor.quote_name
        target = self._target(model)
        columns = ", ".join(quote(_column(model, f).column) for f in self.fields)
        to_columns = ", ".join(quote(_column(target, f).column) for f in self.to_fields)
        return (
            f"CONSTRAINT {quote(self.name)} FOREIGN KEY ({columns}) "
            f"REFERENCES {quote(target._meta.db_table)} ({to_columns}) DEFERRABLE INITIALLY DEFERRED"
        )

    def constraint_sql(self, model, schema_editor) -> str:
        return self._sql(model, schema_editor)

    def create_sql(self, model, schema_editor) -> str:
        return f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} ADD {self._sql(model, schema_editor)}"

    def remove_sql(self, model, schema_editor) -> str:
        table, name = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(self.name)
        return f"ALTER TABLE {table} DROP CONSTRAINT {name}"

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS) -> None:
        """What the database checks at commit, for ``full_clean``: the referenced row exists
        (a NULL column, or a field excluded from validation, skips the check)."""
        if exclude and set(self.fields) & set(exclude):
            return
        values = [getattr(instance, _column(model, f).attname) for f in self.fields]
        if any(v is None for v in values):
            return
        target = self._target(model)
        lookup = {_column(target, f).attname: v for f, v in zip(self.to_fields, values, strict=True)}
        if not target._default_manager.using(using).filter(**lookup).exists():
            raise ValidationError(self.get_violation_error_message(), code=self.violation_error_code)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs.update(fields=list(self.fields), to=self.to, to_fields=list(self.to_fields))
        return path, args, kwargs

    def __eq__(self, other) -> bool:
        if isinstance(other, ForeignKeyConstraint):
            return (
                self.name == other.name
                and self.fields == other.fields
                and self.to.lower() == other.to.lower()
                and self.to_fields == other.to_fields
                and self.violation_error_code == other.violation_error_code
                and self.violation_error_message == other.violation_error_message
            )
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash((self.name, self.fields, self.to.lower(), self.to_fields))

    def __repr__(self) -> str:
        return (
            f"<{self.__class__.__name__}: fields={self.fields!r} to={self.to!r} "
            f"to_fields={self.to_fields!r} name={self.name!r}>"
        )
