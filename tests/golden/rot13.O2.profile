jitbf --profile: 69877 iterations of 26 loops (-O2)
   share    iterations     entered  where    what   loop
   25.9%         18070         278  69:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
   22.5%         15729       18070  69:13    loop*  [->-]
    5.2%          3614         278  74:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    5.2%          3614         278  79:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    5.2%          3614         278  89:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    5.2%          3614         278  94:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    4.6%          3238        3614  94:19    loop*  [>>>[-]+<<<->]
    3.4%          2366        3614  74:13    loop*  [->-]
    3.4%          2341       18070  69:19    loop*  [>>>[-]+<<<->]
    3.4%          2341        3614  89:19    loop*  [>>>[-]+<<<->]
    3.0%          2091        3614  79:13    loop*  [->-]
    2.4%          1668         278  84:3     loop   [-<<<>+<[->-]>[>>>[-]+<<<->]<<>>>]
    2.2%          1523        3614  79:19    loop*  [>>>[-]+<<<->]
    1.8%          1273        3614  89:13    loop*  [->-]
    1.8%          1248        3614  74:19    loop*  [>>>[-]+<<<->]
  (11 more loops: 3533 iterations)
  loop*: first iteration peeled off by the optimizer, counted here
  if: a loop the optimizer made straight code (e.g. a multiply loop); counted: how often it ran
