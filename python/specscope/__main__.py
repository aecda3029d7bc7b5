"""`python -m specscope`: the specscope command in this interpreter."""

from specscope import console

if __name__ == "__main__":
    console()
