"""Kemendagri administrative areas: province, regency/city, district, village."""

from django.db import models
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    REGENCY = 2, _("Regency / city")
    DISTRICT = 3, _("District")
    VILLAGE = 4, _("Village")


class Region(models.Model):
    """One area. ``code`` is the Kemendagri code (``NN``, ``NN.NN``, ``NN.NN.NN``,
    ``NN.NN.NN.NNNN``); reference data, so it is not audited row by row."""

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        db_constraint=False,
        # The (parent, name) index below serves parent lookups; on PostgreSQL a
        # field index would add a varchar_pattern_ops twin that nothing uses.
        db_index=False,
    )
    province_code = models.CharField(_("province"), max_length=2)
    # rehsos.regions.keys.name_key(name): what name-prefix search matches.
    name_key = models.CharField(max_length=120, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [
            # Name-prefix search (name_key__startswith), with and without a level. The
            # opclasses apply on PostgreSQL only, where LIKE 'prefix%' needs
            # varchar_pattern_ops under any collation but C; they also keep the planner
            # from walking a plain name_key index in ORDER BY order past most rows.
            models.Index(
                fields=["name_key"], name="region_name_key_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["level", "name_key"],
                name="region_level_name_key_idx",
                opclasses=["int2_ops", "varchar_pattern_ops"],
            ),
            models.Index(fields=["parent", "name"]),
            models.Index(fields=["province_code"], name="region_province_code_idx"),
        ]

    def __str__(self) -> str:
        return self.name


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    last = ord(prefix[-1]) + 1
    if last == 0xD800:  # surrogates cannot be encoded; skip to the next valid code point
        last = 0xE000
    return prefix[:-1] + chr(last) if last <= 0x10FFFF else None


class IndexedStartsWith(StartsWith):
    """``startswith`` that SQLite answers from a plain B-tree index.

    SQLite only optimises ``LIKE 'p%'`` on a NOCASE index, so Django's ``startswith``
    scans the table there. For a literal prefix this lookup says the same thing as a
    range, ``col >= 'p' AND col < succ('p')``, which any index serves. It is
    case-sensitive, as ``startswith`` is on PostgreSQL; codes and name keys are
    stored in one case, so nothing is lost.
    """

    def as_sqlite(self, compiler, connection):
        prefix = self.rhs
        upper = _successor(prefix) if isinstance(prefix, str) and prefix else None
        if upper is None or self.bilateral_transforms:
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        sql = f"({lhs_sql} >= %s AND {lhs_sql} < %s)"
        return sql, (*lhs_params, prefix, *lhs_params, upper)


Region._meta.get_field("code").register_lookup(IndexedStartsWith)
Region._meta.get_field("name_key").register_lookup(IndexedStartsWith)
