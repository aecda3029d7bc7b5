"""`python -m specscope`: the specscope command in this interpreter."""

import sys

from specscope import main

if __name__ == "__main__":
    sys.exit(main())
