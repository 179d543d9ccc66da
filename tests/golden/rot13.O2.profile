jitbf --profile: 69877 iterations of 26 loops (-O2)
   share    iterations     entered  where    what   loop
   37.4%         18070         278  69:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
   12.2%         15729       18070  69:13    loop*  [->-]
    7.5%          3614         278  74:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    7.5%          3614         278  79:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    7.5%          3614         278  89:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    7.5%          3614         278  94:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    3.5%          1668         278  84:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    2.5%          3238        3614  94:19    loop*  [>>>[-]+<<<->]
    2.0%           278           1  62:1     loop   [[->+>+<<]>>[-<<+>>]<<>>>>>>+++++[<<++++…
    1.8%          2366        3614  74:13    loop*  [->-]
    1.8%          2341       18070  69:19    loop*  [>>>[-]+<<<->]
    1.8%          2341        3614  89:19    loop*  [>>>[-]+<<<->]
    1.6%          2091        3614  79:13    loop*  [->-]
    1.2%          1523        3614  79:19    loop*  [>>>[-]+<<<->]
    1.0%          1273        3614  89:13    loop*  [->-]
  (11 more loops: 4503 iterations)
  share: of the IR instructions executed in loops, each counted in its innermost loop
  loop*: first iteration peeled off by the optimizer, counted here
  if: a loop the optimizer made straight code (e.g. a multiply loop); counted: how often it ran
