"""The bounds of every number and name people type, in one place.

Forms, API serializers, services and database CheckConstraints all read these, so a value
refused at one boundary is refused at every other, and nothing stored can overflow the
arithmetic (SQLite's 64-bit integers, ``max_digits``) of the pages that show it.
"""

from decimal import Decimal

# Quota amounts, in base units. One team's quota; allocations and requests fit inside it.
MAX_CPU_MILLICORES = 10**9  # a million cores
MAX_BYTES = 2**50  # 1 PiB of memory, of storage, of one storage class
MAX_GPUS = 100_000
MAX_PODS = 1_000_000
MAX_PVCS = 1_000_000
MAX_LOAD_BALANCERS = 10_000
MAX_NAMESPACES_PER_TEAM = 10_000
# Storage classes named in one quota, and the length of a name (a DNS-1123 subdomain).
MAX_STORAGE_CLASSES = 32
MAX_STORAGE_CLASS_NAME = 253

# Money: one ledger entry (top-up, credit, payment), and a prepaid balance either way.
MAX_LEDGER_AMOUNT = Decimal("1000000000")  # 10^9 in the team's currency
MAX_BALANCE = Decimal("1000000000000")  # 10^12

# Personal API tokens live at most this long (the page and the API).
MAX_API_TOKEN_DAYS = 365

# Free text: a quota request's reason, a decision's note.
MAX_REASON_LENGTH = 2000

# Ids people type (a user, a membership): what a database integer holds, so a larger one is a
# field error rather than an OverflowError from SQLite.
MAX_ID = 2**63 - 1
