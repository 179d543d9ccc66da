GREET ::: ask for a name and say hello

What it does
  Prints the prompt  What is your name?  (with a trailing space and no
  newline); reads one line; then prints  Hello (comma) NAME (exclamation
  mark)  and a newline

Input
  One line of text; the newline (or end of input) ends the name

How it works
  First a loop builds four base values; each prompt letter is made by
  nudging one of them and printing it:
     cell 1   32   space (later comma and exclamation mark)
     cell 2   80   upper case letters and question mark
     cell 3  104   lower case letters
     cell 4   10   newline
  The name is stored in three cell slots (c f t) starting at cell 9 just
  like in the reverse program: c is the byte; f is scratch; t is 1 while
  more of the line follows; the slot at cell 6 stays empty and marks the
  left end so we can find our way back over a name of any length

Build the base values
++++++++[>++++>++++++++++>+++++++++++++>+<<<<-]      8 times (4 and 10 and 13 and 1)
>>>>++                              cell 4 = 10
<<                                  at cell 2 (80)

Print the prompt
+++++++.                            W   (cell 2 = 87)
>.                                  h   (cell 3 = 104)
-------.                            a   97
+++++++++++++++++++.                t   116
<<.                                 space
>>-----------.                      i   105
++++++++++.                         s   115
<<.                                 space
>>++++++.                           y   121
----------.                         o   111
++++++.                             u   117
---.                                r   114
<<.                                 space
>>----.                             n   110
-------------.                      a   97
++++++++++++.                       m   109
--------.                           e   101 (cell 3 stays 101)
<------------------------.          question mark (cell 2 = 63)
<.                                  space (now at cell 1)

Read one line into the slots from cell 9 on
>>>>>>>>                            go to cell 9
,                                   read a byte into c
[->+>+<<]>>[-<<+>>]<                copy c into f
[----------[++++++++++[-]>+<]]>     set t if c is not 10 and not 0
[                                   while t is set
  ->,                               clear t and read into the next slot
  [->+>+<<]>>[-<<+>>]<
  [----------[++++++++++[-]>+<]]>
]
<<[-]                               clear the line ending (newline or 0)
<<<[<<<]                            walk back to the empty slot at cell 6

Print the greeting
<<<<+++++++++.                      H   (cell 2 = 72)
>.                                  e   (cell 3 = 101)
+++++++..                           l l 108
+++.                                o   111
<<++++++++++++.                     comma (cell 1 = 44)
------------.                       space
>>>>>>>>                            go to the first slot (cell 9)
[.>>>]                              print the name up to the cleared end
<<<[<<<]                            walk back to cell 6
<<<<<+.                             exclamation mark (cell 1 = 33)
>>>.                                newline (cell 4)
