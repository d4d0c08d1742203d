def add(a, b):
    return a + b


def divide(a, b):
    # BUG: no check for b == 0
    return a / b
