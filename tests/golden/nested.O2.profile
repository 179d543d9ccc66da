jitbf --profile: 8360991 iterations of 23 loops (-O2)
   share    iterations     entered  where    what   loop
   50.8%       2041797     1837620  96:9     loop   [<[-]+>->+---------->+<[++++++++++>-]>[>…
   22.8%       1837620       88560  92:7     loop   [->>>>>>>>+[<[-]+>->+---------->+<[+++++…
   13.7%       1837620     2041797  98:14    loop*  [++++++++++>-]
    5.1%       2041797     1837620  101:15   scan   [<<<<<]
    2.4%         98397       88560  83:7     loop   [<[-]+>->+---------->+<[++++++++++>-]>[>…
    2.4%         88560        3240  78:5     loop   [->+>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>…
    1.5%        204177     2041797  99:12    loop*  [>>>+<<<->]
    0.7%         88560       98397  85:12    loop*  [++++++++++>-]
    0.2%         98397       88560  88:13    scan   [<<<<<]
    0.1%          3240          80  63:3     loop   [->+>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>…
    0.1%          3599        3240  68:5     loop   [<[-]+>->+---------->+<[++++++++++>-]>[>…
    0.1%          9837       98397  86:10    loop*  [>>>+<<<->]
    0.0%          3240        3599  70:10    loop*  [++++++++++>-]
    0.0%          3599        3240  73:11    scan   [<<<<<]
    0.0%           359        3599  71:8     loop*  [>>>+<<<->]
  (8 more loops: 192 iterations)
  share: of the IR instructions executed in loops, each counted in its innermost loop
  loop*: first iteration peeled off by the optimizer, counted here
  if: a loop the optimizer made straight code (e.g. a multiply loop); counted: how often it ran
