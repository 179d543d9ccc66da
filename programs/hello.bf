HELLO ::: print the classic greeting

What it does
  Prints the line  Hello (comma) World (exclamation mark)  followed by a
  newline character (byte 10)

Input
  None; the program never reads

How it works
  Brainfuck has eight commands and treats every other byte as a comment;
  that is why this text is ignored when the program runs (and why it is
  careful never to use any of the eight command characters in its prose)

  Typing 72 plus signs to make the letter H would be tedious; instead a
  loop builds five rough "base" values at once; then each letter is made
  by nudging the nearest base value up or down a little and printing it

  Memory after the setup loop:
    cell 0    0   the loop counter (used up)
    cell 1   72   exactly H
    cell 2  104   close to e (101) and l (108) and o (111) and r and d
    cell 3   32   a space; also close to comma (44) and exclamation (33)
    cell 4   88   close to W (87)
    cell 5    8   close to newline (10)

Setup
++++++++                  cell 0 = 8 so the loop body runs eight times
[
    >+++++++++            cell 1 gets 9 more   (8 times 9 is 72)
    >+++++++++++++        cell 2 gets 13 more  (8 times 13 is 104)
    >++++                 cell 3 gets 4 more   (8 times 4 is 32)
    >+++++++++++          cell 4 gets 11 more  (8 times 11 is 88)
    >+                    cell 5 gets 1 more   (8 times 1 is 8)
    <<<<<-                back to cell 0 and count down by one
]                         the loop ends when cell 0 reaches zero

Printing (the dot command prints the current cell as a byte)
>.                        cell 1 = 72          H
>---.                     cell 2 = 104 minus 3 = 101   e
+++++++..                 cell 2 = 108         l  l   (printed twice)
+++.                      cell 2 = 111         o
>++++++++++++.            cell 3 = 44          comma
------------.             cell 3 = 32          space
>-.                       cell 4 = 87          W
<<.                       cell 2 is still 111  o
+++.                      cell 2 = 114         r
------.                   cell 2 = 108         l
--------.                 cell 2 = 100         d
>+.                       cell 3 = 33          exclamation mark
>>++.                     cell 5 = 10          newline
