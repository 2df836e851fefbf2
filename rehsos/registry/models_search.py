"""The person search index: a vocabulary of name words with their misspellings, and postings.

Name search at national scale cannot scan names (a trigram ``%`` over millions of rows
rechecks thousands of them per query). Instead every person's names are cut into words
(``names.key``: spelling-normalised, titles dropped) and indexed three ways:

* ``SearchWord`` — the vocabulary, one row per distinct word, with how many persons
  carry it (``df``, used to weigh rare words above common ones).
* ``SearchVariant`` — for each word its symmetric-deletion variants (the word with one
  letter deleted; two for long words) and its sound key (``~`` + ``names.phonetic_word``).
  A query word's own deletions meet these, so every vocabulary word within one or two
  edits — or sounding alike — is found with one indexed ``IN`` lookup.
* ``SearchPosting`` — which persons carry which word, and which *pair* of words of one
  name: ``key`` is a word id, or ``low << 32 | high`` for a pair of word ids (a one-word
  name also gets the pair of its word with itself). Pairs are what make a query fast:
  "muhammad" alone is carried by a tenth of a nation, "muhammad + rizki" by a few
  hundred, "rizki + pratama" by a handful. The person's birth year, region (the village
  code as a number, so any code prefix is a range) and centre ride along, and the
  primary key orders them so that one index answers key lookups with every filter,
  without touching the table.

Unknown birth year and "no centre" are stored as 0 (a primary key has no NULLs).
The index is kept by ``index_persons`` / ``remove_persons`` / ``reindex_all`` (search_index.py);
names appear there only as separate words; no identifier (NIK, KK) is indexed here.
"""

from django.db import models


class SearchWord(models.Model):
    id = models.AutoField(primary_key=True)  # 32 bits: two ids make one 64-bit pair key
    word = models.CharField(max_length=64, unique=True)
    df = models.IntegerField(default=0, help_text="Persons whose names carry the word.")

    class Meta:
        verbose_name = "search word"

    def __str__(self) -> str:
        return self.word


class SearchVariant(models.Model):
    pk = models.CompositePrimaryKey("variant", "word")
    variant = models.CharField(max_length=64)
    # No database constraint: the index code keeps variants and words together, and a
    # constraint would only slow COPY and block TRUNCATE in reindex_all.
    word = models.ForeignKey(
        SearchWord, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        verbose_name = "search word variant"

    def __str__(self) -> str:
        return self.variant


class SearchPosting(models.Model):
    # The primary key doubles as the covering index of the lookup: key first, then the
    # region (so a region or province scope is a range inside one key), then the rest.
    pk = models.CompositePrimaryKey("key", "region", "birth_year", "facility_id", "person_id")
    key = models.BigIntegerField()
    region = models.BigIntegerField()
    birth_year = models.SmallIntegerField()
    facility_id = models.BigIntegerField()
    person_id = models.BigIntegerField()

    class Meta:
        verbose_name = "search posting"
        indexes = [models.Index(fields=["person_id"], name="registry_posting_person_idx")]

    def __str__(self) -> str:
        return f"{self.key}:{self.person_id}"
