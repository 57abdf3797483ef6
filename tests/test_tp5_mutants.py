"""TP5 (convnets): do the tests catch the bugs students make, and pass every correct answer?

Each ``Mutant`` is one edit of a solution cell of ``source/TP5_convnets/convnets.ipynb``. A
wrong one names the test cell that must fail; a correct alternative (``caught_by=None``)
must pass every test cell. The fast tests check the suite itself; the slow ones execute
notebooks as grading does (``tests/mutation.py``: a fresh kernel, grading mode).

To fit the slow suite in its budget, a mutant is not run in the whole notebook (one kernel
each): the mutants of one solution cell share one kernel and one notebook made of the setup
cell, then, per mutant, every reference solution cell (undoing the previous mutant), the
edited cell and the test cells concerned (its own; for an alternative, all of them), renamed
so that each is scored on its own (``batch_outcomes``). That is exact for what is checked:
TP5's test cells build their own inputs, restore what they patch, and use only solution
functions (their own and the declared ``requires``), never the notebook's data, demos or
other test cells. The full source notebook is run once, as grading runs it
(``test_source_passes``), and ``test_each_test_cell_needs_only_its_requirements`` checks the
independence claim. (Each mutant was also checked in a kernel of its own, one notebook per
mutant, when the suite was written: same verdicts.)
"""
from __future__ import annotations

import copy

import pytest

from graders.course import notebooks
from tests import mutation
from tests.mutation import ROOT, Mutant, apply, run, wrong_reason

TP = "TP5_convnets"
SOURCE = ROOT / "source" / TP / "convnets.ipynb"
RELEASE = ROOT / "release" / TP / "convnets.ipynb"

SIZE, SHAPE, COUNTS, UNFOLD, REGISTER = ("tp5_output_size_solution", "tp5_conv_shape_solution", "tp5_counts_solution",
                                         "tp5_conv_unfold_solution", "tp5_register_solution")
PLAIN, BASIC, RESNET, BOTTLE = ("tp5_plainnet_solution", "tp5_basic_block_solution", "tp5_resnet_solution",
                                "tp5_bottleneck_solution")
AUGMENT, EVALUATE, TRAIN = "tp5_augment_solution", "tp5_evaluate_solution", "tp5_train_solution"

FORMULA = "L_out = (L_in + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1"

MUTANTS = [
    # --- 1a. output size ----------------------------------------------------------------------
    Mutant("int(a / stride) truncates towards 0 (a kernel that does not fit gives 1)", SIZE, FORMULA,
           "L_out = int((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1", "tp5_output_size"),
    Mutant("dilation forgotten", SIZE, FORMULA,
           "L_out = (L_in + 2 * padding - (kernel_size - 1) - 1) // stride + 1", "tp5_output_size"),
    Mutant("padding counted on one side only", SIZE, FORMULA,
           "L_out = (L_in + padding - dilation * (kernel_size - 1) - 1) // stride + 1", "tp5_output_size"),
    Mutant("ceil instead of floor", SIZE, FORMULA,
           "L_out = math.ceil((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1", "tp5_output_size"),
    Mutant("pooling stride defaults to 1", SIZE, "        stride = kernel_size\n", "        stride = 1\n",
           "tp5_output_size"),
    Mutant("no ValueError for an output of 0 (check < 0)", SIZE, "if L_out < 1:", "if L_out < 0:", "tp5_output_size"),
    Mutant("returns a float (true division, then // 1)", SIZE, FORMULA,
           "L_out = ((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1) // 1", "tp5_output_size"),
    Mutant("correct: math.floor of the true division, the fit checked on the span", SIZE,
           FORMULA + "\n    if L_out < 1:",
           "span = dilation * (kernel_size - 1) + 1\n"
           "    L_out = math.floor((L_in + 2 * padding - span) / stride + 1)\n"
           "    if L_in + 2 * padding < span:", None),

    # --- 1b. output shape, channel mismatch -------------------------------------------------------
    Mutant("no channel check", SHAPE,
           "    if C_in != C_in_w:\n"
           "        raise ValueError(f\"weight of shape {tuple(weight_shape)} expects {C_in_w} input channels, \"\n"
           "                         f\"but the input {tuple(input_shape)} has {C_in}\")\n", "", "tp5_conv_shape"),
    Mutant("channel check against the weight's first axis (C_out)", SHAPE,
           "if C_in != C_in_w:", "if C_in != C_out:", "tp5_conv_shape"),
    Mutant("pairs: the height's stride, padding, dilation used for the width", SHAPE,
           "conv_output_size(W, kW, sw, pw, dw)", "conv_output_size(W, kW, sh, ph, dh)", "tp5_conv_shape"),
    Mutant("returns C_in instead of C_out", SHAPE, "return (N, C_out,", "return (N, C_in,", "tp5_conv_shape"),
    Mutant("kernel height used for the width", SHAPE, "conv_output_size(W, kW,", "conv_output_size(W, kH,",
           "tp5_conv_shape"),
    Mutant("correct: a loop over the two axes", SHAPE,
           """    N, C_in, H, W = input_shape
    C_out, C_in_w, kH, kW = weight_shape
    if C_in != C_in_w:
        raise ValueError(f"weight of shape {tuple(weight_shape)} expects {C_in_w} input channels, "
                         f"but the input {tuple(input_shape)} has {C_in}")

    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    return (N, C_out, conv_output_size(H, kH, sh, ph, dh), conv_output_size(W, kW, sw, pw, dw))
""", """    n, c, *spatial = input_shape
    c_out, c_w, *kernel = weight_shape
    if c != c_w:
        raise ValueError(f"channel mismatch: the input has {c} channels, the weight expects {c_w}")
    sizes = []
    for axis in range(2):
        pick = [v if isinstance(v, int) else v[axis] for v in (stride, padding, dilation)]
        sizes.append(conv_output_size(spatial[axis], kernel[axis], *pick))
    return (n, c_out, *sizes)
""", None),

    # --- 2. counts -------------------------------------------------------------------------------
    Mutant("bias forgotten", COUNTS, " + (out_channels if bias else 0)", "", "tp5_counts"),
    Mutant("bias counted per input channel", COUNTS, "(out_channels if bias else 0)", "(in_channels if bias else 0)",
           "tp5_counts"),
    Mutant("multiply-adds with kH * kH (square kernel assumed)", COUNTS,
           "return out_channels * in_channels * kH * kW * H_out * W_out",
           "return out_channels * in_channels * kH * kH * H_out * W_out", "tp5_counts"),
    Mutant("multiply-adds count the bias additions", COUNTS,
           "return out_channels * in_channels * kH * kW * H_out * W_out",
           "return out_channels * (in_channels * kH * kW + 1) * H_out * W_out", "tp5_counts"),
    Mutant("correct: math.prod, bias as int(bool)", COUNTS,
           """    kH, kW = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * in_channels * kH * kW + (out_channels if bias else 0)
""", """    kernel = [kernel_size] * 2 if isinstance(kernel_size, int) else list(kernel_size)
    return math.prod([out_channels, in_channels, *kernel]) + out_channels * int(bool(bias))
""", None),

    # --- 3. convolution from scratch -------------------------------------------------------------
    Mutant("bias added without view (aligned on the width)", UNFOLD,
           "out = out + bias.view(1, C_out, 1, 1)", "out = out + bias", "tp5_conv_unfold"),
    Mutant("H_out ignores the dilation", UNFOLD,
           "H_out = (H + 2 * ph - dh * (kH - 1) - 1) // sh + 1", "H_out = (H + 2 * ph - (kH - 1) - 1) // sh + 1",
           "tp5_conv_unfold"),
    Mutant("result reshaped as (W_out, H_out) and transposed", UNFOLD,
           "out = out.view(N, C_out, H_out, W_out)", "out = out.view(N, C_out, W_out, H_out).transpose(2, 3)",
           "tp5_conv_unfold"),
    Mutant("detached from autograd", UNFOLD,
           "out = weight.reshape(C_out, -1) @ cols", "out = (weight.reshape(C_out, -1) @ cols).detach()",
           "tp5_conv_unfold"),
    Mutant("weight flattened (kW, kH) instead of (kH, kW)", UNFOLD,
           "weight.reshape(C_out, -1) @ cols", "weight.transpose(2, 3).reshape(C_out, -1) @ cols", "tp5_conv_unfold"),
    Mutant("the height's stride used on both axes", UNFOLD, "stride=(sh, sw))", "stride=(sh, sh))", "tp5_conv_unfold"),
    Mutant("correct: shift-and-add over the kernel taps with einsum (no unfold)", UNFOLD,
           """    cols = F.unfold(x, (kH, kW), dilation=(dh, dw), padding=(ph, pw), stride=(sh, sw))  # (N, C_in*kH*kW, L)
    out = weight.reshape(C_out, -1) @ cols                                              # (N, C_out, L)
    out = out.view(N, C_out, H_out, W_out)
    if bias is not None:
        out = out + bias.view(1, C_out, 1, 1)
    return out
""", """    xp = F.pad(x, (pw, pw, ph, ph))
    out = torch.zeros(N, C_out, H_out, W_out, dtype=x.dtype)
    for a in range(kH):
        for b in range(kW):
            patch = xp[:, :, a * dh: a * dh + sh * (H_out - 1) + 1: sh, b * dw: b * dw + sw * (W_out - 1) + 1: sw]
            out = out + torch.einsum("nchw,oc->nohw", patch, weight[:, :, a, b])
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out
""", None),

    # --- 4. registering layers -------------------------------------------------------------------
    Mutant("a plain Python list instead of nn.ModuleList", REGISTER,
           "self.convs = nn.ModuleList()", "self.convs = []", "tp5_register"),
    Mutant("ConvStack ends with a ReLU", REGISTER, "            x = conv(x)\n        return x\n",
           "            x = conv(x)\n        return F.relu(x)\n", "tp5_register"),
    Mutant("conv_sequential repeats one layer ([conv, relu] * k)", REGISTER,
           """    layers = []
    for i in range(len(channels) - 1):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Conv2d(channels[i], channels[i + 1], kernel_size, padding=kernel_size // 2))
    return nn.Sequential(*layers)
""", """    conv = nn.Conv2d(channels[0], channels[1], kernel_size, padding=kernel_size // 2)
    return nn.Sequential(*([conv, nn.ReLU()] * (len(channels) - 2) + [conv]))
""", "tp5_register"),
    Mutant("padding hard-coded to 1 (ignores kernel_size)", REGISTER,
           "nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2)", "nn.Conv2d(c_in, c_out, kernel_size, padding=1)",
           "tp5_register"),
    Mutant("conv_sequential puts a ReLU after every conv", REGISTER,
           """        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Conv2d(channels[i], channels[i + 1], kernel_size, padding=kernel_size // 2))
""", """        layers.append(nn.Conv2d(channels[i], channels[i + 1], kernel_size, padding=kernel_size // 2))
        layers.append(nn.ReLU())
""", "tp5_register"),
    Mutant("correct: a ModuleList built by a comprehension", REGISTER,
           """        self.convs = nn.ModuleList()
        for c_in, c_out in zip(channels[:-1], channels[1:]):
            self.convs.append(nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2))
""", """        self.convs = nn.ModuleList([nn.Conv2d(channels[i], channels[i + 1], kernel_size, padding=(kernel_size - 1) // 2)
                                    for i in range(len(channels) - 1)])
""", None),

    # --- 5. PlainNet -----------------------------------------------------------------------------
    Mutant("no BatchNorm in the stages", PLAIN, "                           nn.BatchNorm2d(width), nn.ReLU()]",
           "                           nn.ReLU()]", "tp5_plainnet"),
    Mutant("convolutions with a bias", PLAIN,
           "nn.Conv2d(c_in, width, 3, stride=stride, padding=1, bias=False)",
           "nn.Conv2d(c_in, width, 3, stride=stride, padding=1)", "tp5_plainnet"),
    Mutant("no downsampling (stride 1 everywhere)", PLAIN, "stride = 2 if (s > 0 and j == 0) else 1", "stride = 1",
           "tp5_plainnet"),
    Mutant("n layers per stage instead of 2n", PLAIN, "for j in range(2 * n):", "for j in range(n):", "tp5_plainnet"),
    Mutant("ReLU before BN (conv-ReLU-BN)", PLAIN,
           "                           nn.BatchNorm2d(width), nn.ReLU()]",
           "                           nn.ReLU(), nn.BatchNorm2d(width)]", "tp5_plainnet"),
    Mutant("stride 2 in the first stage too", PLAIN, "stride = 2 if (s > 0 and j == 0) else 1",
           "stride = 2 if j == 0 else 1", "tp5_plainnet"),
    Mutant("in_channels ignored (3 hard-coded)", PLAIN, "nn.Conv2d(in_channels, widths[0]", "nn.Conv2d(3, widths[0]",
           "tp5_plainnet"),
    Mutant("global max pooling instead of the average", PLAIN, "self.features(x).mean(dim=(2, 3))",
           "self.features(x).amax(dim=(2, 3))", "tp5_plainnet"),
    Mutant("correct: a helper for conv-BN-ReLU, a ModuleList, adaptive pooling", PLAIN,
           """        layers = [nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
        c_in = widths[0]
        for s, width in enumerate(widths):
            for j in range(2 * n):
                stride = 2 if (s > 0 and j == 0) else 1
                layers += [nn.Conv2d(c_in, width, 3, stride=stride, padding=1, bias=False),
                           nn.BatchNorm2d(width), nn.ReLU()]
                c_in = width
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(widths[-1], num_classes)
""", """        def cbr(a, b, stride):
            return nn.Sequential(nn.Conv2d(a, b, kernel_size=3, stride=stride, padding=1, bias=False),
                                 nn.BatchNorm2d(b), nn.ReLU(inplace=True))
        self.layers = nn.ModuleList([cbr(in_channels, widths[0], 1)])
        prev = widths[0]
        for s in range(len(widths)):
            self.layers.append(cbr(prev, widths[s], 1 if s == 0 else 2))
            self.layers.extend(cbr(widths[s], widths[s], 1) for _ in range(2 * n - 1))
            prev = widths[s]
        self.head = nn.Linear(prev, num_classes)

    def body(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def fc(self, h):
        return self.head(h)
""", None),

    # --- 6a. BasicBlock --------------------------------------------------------------------------
    Mutant("ReLU on the residual branch before the sum, none after", BASIC,
           "return F.relu(out + self.shortcut(x))", "return F.relu(out) + self.shortcut(x)", "tp5_basic_block"),
    Mutant("no ReLU after the sum", BASIC, "return F.relu(out + self.shortcut(x))", "return out + self.shortcut(x)",
           "tp5_basic_block"),
    Mutant("identity shortcut whenever the channels match (stride ignored)", BASIC,
           "if stride == 1 and in_channels == out_channels:", "if in_channels == out_channels:", "tp5_basic_block"),
    Mutant("projection shortcut without BN", BASIC,
           "self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),\n"
           "                                          nn.BatchNorm2d(out_channels))",
           "self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False))",
           "tp5_basic_block"),
    Mutant("stride on conv2 instead of conv1", BASIC,
           "self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)\n"
           "        self.bn1 = nn.BatchNorm2d(out_channels)\n"
           "        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)",
           "self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)\n"
           "        self.bn1 = nn.BatchNorm2d(out_channels)\n"
           "        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=stride, padding=1, bias=False)",
           "tp5_basic_block"),
    Mutant("always a projection shortcut", BASIC, "if stride == 1 and in_channels == out_channels:", "if False:",
           "tp5_basic_block"),
    Mutant("adds the residual into x in place (x += out)", BASIC, "return F.relu(out + self.shortcut(x))",
           "s = self.shortcut(x)\n        s += out\n        return F.relu(s)", "tp5_basic_block"),
    Mutant("correct: empty nn.Sequential shortcut, tensor methods, clamp", BASIC,
           """        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))
""", """        h = self.conv1(x)
        h = self.bn1(h).relu()
        h = self.bn2(self.conv2(h))
        return torch.add(self.shortcut(x), h).clamp(min=0)
""", None),

    # --- 6b. ResNet ------------------------------------------------------------------------------
    Mutant("ResNet: stride 2 in the first stage too", RESNET, "2 if (s > 0 and j == 0) else 1", "2 if j == 0 else 1",
           "tp5_resnet"),
    Mutant("stride 2 on every block of the later stages", RESNET, "2 if (s > 0 and j == 0) else 1",
           "2 if s > 0 else 1", "tp5_resnet"),
    Mutant("blocks kept in a Python list", RESNET,
           "        self.blocks = nn.Sequential(*blocks)\n",
           "        self.block_list = blocks\n        self.blocks = lambda h: [h := b(h) for b in self.block_list][-1]\n",
           "tp5_resnet"),
    Mutant("num_blocks[0] blocks in every stage", RESNET, "for j in range(count):", "for j in range(num_blocks[0]):",
           "tp5_resnet"),
    Mutant("stem without BN and ReLU", RESNET,
           "self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),\n"
           "                                  nn.BatchNorm2d(widths[0]), nn.ReLU())",
           "self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False))", "tp5_resnet"),
    Mutant("features skip the stem", RESNET, "return self.blocks(self.stem(x))", "return self.blocks(x)",
           "tp5_resnet"),
    Mutant("correct: a ModuleList of stages, adaptive pooling and flatten", RESNET,
           """        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, c_in = [], widths[0]
        for s, (count, width) in enumerate(zip(num_blocks, widths)):
            for j in range(count):
                blocks.append(block(c_in, width, 2 if (s > 0 and j == 0) else 1))
                c_in = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(widths[-1], num_classes)
        ### END SOLUTION

    def features(self, x):
        ### BEGIN SOLUTION
        return self.blocks(self.stem(x))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.fc(self.features(x).mean(dim=(2, 3)))
""", """        self.conv = nn.Conv2d(in_channels, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(widths[0])
        self.stages = nn.ModuleList()
        prev = widths[0]
        for s, width in enumerate(widths):
            stage = nn.ModuleList()
            for j in range(num_blocks[s]):
                stage.append(block(prev, width, stride=2 if j == 0 and s != 0 else 1))
                prev = width
            self.stages.append(stage)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(prev, num_classes)

    def features(self, x):
        h = F.relu(self.bn(self.conv(x)))
        for stage in self.stages:
            for blk in stage:
                h = blk(h)
        return h

    def forward(self, x):
        return self.linear(torch.flatten(self.pool(self.features(x)), 1))
""", None),

    # --- 7. Bottleneck ---------------------------------------------------------------------------
    Mutant("stride on the first 1x1 conv", BOTTLE,
           "self.conv1 = nn.Conv2d(in_channels, mid, 1, bias=False)\n"
           "        self.bn1 = nn.BatchNorm2d(mid)\n"
           "        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1, bias=False)",
           "self.conv1 = nn.Conv2d(in_channels, mid, 1, stride=stride, bias=False)\n"
           "        self.bn1 = nn.BatchNorm2d(mid)\n"
           "        self.conv2 = nn.Conv2d(mid, mid, 3, padding=1, bias=False)", "tp5_bottleneck"),
    Mutant("no reduction (mid = out_channels)", BOTTLE, "\n        mid = out_channels // reduction\n", "\n        mid = out_channels\n",
           "tp5_bottleneck"),
    Mutant("reduction hard-coded to 4", BOTTLE, "\n        mid = out_channels // reduction\n", "\n        mid = out_channels // 4\n",
           "tp5_bottleneck"),
    Mutant("ReLU after bn3, before the sum", BOTTLE, "out = self.bn3(self.conv3(out))",
           "out = F.relu(self.bn3(self.conv3(out)))", "tp5_bottleneck"),
    Mutant("shortcut always the identity", BOTTLE, "if stride != 1 or in_channels != out_channels:", "if False:",
           "tp5_bottleneck"),
    Mutant("correct: the residual branch as one nn.Sequential over named attributes", BOTTLE,
           """        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))
""", """        branch = nn.Sequential(self.conv1, self.bn1, nn.ReLU(), self.conv2, self.bn2, nn.ReLU(), self.conv3, self.bn3)
        return torch.relu(branch(x) + self.shortcut(x))
""", None),

    # --- 8a. augment -----------------------------------------------------------------------------
    Mutant("row offsets in {0..2p-1} (randint's high is exclusive)", AUGMENT,
           "i = torch.randint(0, 2 * p + 1,", "i = torch.randint(0, 2 * p,", "tp5_augment"),
    Mutant("vertical flip (axis 2)", AUGMENT, "out.flip(3), out)", "out.flip(2), out)", "tp5_augment"),
    Mutant("one coin for the whole batch", AUGMENT,
           "flip = (torch.rand(N, generator=g) < flip_prob).to(x.device)",
           "flip = (torch.rand(1, generator=g) < flip_prob).expand(N).to(x.device)", "tp5_augment"),
    Mutant("one crop offset for the whole batch", AUGMENT,
           "j = torch.randint(0, 2 * p + 1, (N,), generator=g)", "j = torch.randint(0, 2 * p + 1, (1,), generator=g)",
           "tp5_augment"),
    Mutant("flips drawn from the global generator", AUGMENT, "torch.rand(N, generator=g)", "torch.rand(N)",
           "tp5_augment"),
    Mutant("padding hard-coded to 4", AUGMENT, "    p = padding\n", "    p = 4\n", "tp5_augment"),
    Mutant("flips the caller's images in place before cropping", AUGMENT,
           "    padded = F.pad(x, (p, p, p, p))",
           "    x[:N // 2] = x[:N // 2].flip(3)\n    padded = F.pad(x, (p, p, p, p))", "tp5_augment"),
    Mutant("correct: a Python loop over the images with slicing", AUGMENT,
           """    N, C, H, W = x.shape
    p = padding
    padded = F.pad(x, (p, p, p, p))                                       # (N, C, H + 2p, W + 2p), zeros
    i = torch.randint(0, 2 * p + 1, (N,), generator=g).to(x.device)
    j = torch.randint(0, 2 * p + 1, (N,), generator=g).to(x.device)
    flip = (torch.rand(N, generator=g) < flip_prob).to(x.device)
    rows = (i[:, None] + torch.arange(H, device=x.device))[:, None, :, None]   # (N, 1, H, 1)
    cols = (j[:, None] + torch.arange(W, device=x.device))[:, None, None, :]   # (N, 1, 1, W)
    n = torch.arange(N, device=x.device)[:, None, None, None]
    c = torch.arange(C, device=x.device)[None, :, None, None]
    out = padded[n, c, rows, cols]                                         # (N, C, H, W)
    out = torch.where(flip[:, None, None, None], out.flip(3), out)
    return out, y
""", """    H, W = x.shape[-2:]
    xp = F.pad(x, [padding] * 4)
    out = torch.empty_like(x)
    offsets = torch.randint(0, 2 * padding + 1, (x.shape[0], 2), generator=g).tolist()
    flips = (torch.rand(x.shape[0], generator=g) < flip_prob).tolist()
    for k, ((a, b), f) in enumerate(zip(offsets, flips)):
        crop = xp[k, :, a:a + H, b:b + W]
        out[k] = torch.flip(crop, dims=[-1]) if f else crop
    return out, y
""", None),

    # --- 8b. evaluate ----------------------------------------------------------------------------
    Mutant("model.eval() forgotten", EVALUATE, "    model.eval()\n", "", "tp5_evaluate"),
    Mutant("torch.no_grad() forgotten", EVALUATE, "    with torch.no_grad():\n", "    if True:\n", "tp5_evaluate"),
    Mutant("the last batch weighted as a full one (mean * batch_size)", EVALUATE,
           'total_loss += F.cross_entropy(logits, yb, reduction="sum").item()',
           "total_loss += F.cross_entropy(logits, yb).item() * batch_size", "tp5_evaluate"),
    Mutant("argmax over the batch axis", EVALUATE, "logits.argmax(dim=1) == yb", "logits.argmax(dim=0) == yb",
           "tp5_evaluate"),
    Mutant("returns tensors (no .item())", EVALUATE, "(logits.argmax(dim=1) == yb).sum().item()",
           "(logits.argmax(dim=1) == yb).sum()", "tp5_evaluate"),
    Mutant("correct: all logits concatenated, float32 means", EVALUATE,
           """    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            logits = model(x[start:start + batch_size])
            yb = y[start:start + batch_size]
            total_loss += F.cross_entropy(logits, yb, reduction="sum").item()
            correct += (logits.argmax(dim=1) == yb).sum().item()
    return total_loss / x.shape[0], correct / x.shape[0]
""", """    model.train(False)
    with torch.inference_mode():
        logits = torch.cat([model(xb) for xb in torch.split(x, batch_size)])
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(-1) == y).float().mean()
    return float(loss), float(acc)
""", None),

    # --- 8c. train_model -------------------------------------------------------------------------
    Mutant("zero_grad forgotten", TRAIN, "        opt.zero_grad()\n", "", "tp5_train"),
    Mutant("a new optimiser at each step (momentum lost)", TRAIN, "        model.train()\n",
           "        model.train()\n        opt = torch.optim.SGD(model.parameters(), lr=lr_at(step), momentum=momentum, "
           "weight_decay=weight_decay)\n", "tp5_train"),
    Mutant("model.train() forgotten", TRAIN, "        model.train()\n", "", "tp5_train"),
    Mutant("augment_fn ignored", TRAIN,
           "        if augment_fn is not None:\n            xb, yb = augment_fn(xb, yb, g)\n", "", "tp5_train"),
    Mutant("minibatches from the global generator", TRAIN, "(batch_size,), generator=g)", "(batch_size,))",
           "tp5_train"),
    Mutant("the schedule is read once (lr(0) for every step)", TRAIN,
           '        for group in opt.param_groups:\n            group["lr"] = lr_at(step)\n', "", "tp5_train"),
    Mutant("weight_decay ignored", TRAIN, "momentum=momentum, weight_decay=weight_decay)",
           "momentum=momentum)", "tp5_train"),
    Mutant("losses recorded as tensors", TRAIN, "losses.append(loss.item())", "losses.append(loss.detach())",
           "tp5_train"),
    Mutant("correct: SGD written by hand, minibatches with torch.multinomial", TRAIN,
           """    lr_at = lr if callable(lr) else (lambda step: lr)
    opt = torch.optim.SGD(model.parameters(), lr=lr_at(0), momentum=momentum, weight_decay=weight_decay)
    losses = []
    for step in tqdm(range(steps), disable=not progress, mininterval=1.0):
        idx = torch.randint(0, x.shape[0], (batch_size,), generator=g).to(x.device)
        xb, yb = x[idx], y[idx]
        if augment_fn is not None:
            xb, yb = augment_fn(xb, yb, g)
        model.train()
        loss = F.cross_entropy(model(xb), yb)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
""", """    params = list(model.parameters())
    buffers = [None] * len(params)
    losses = []
    for step in range(steps):
        idx = torch.multinomial(torch.ones(x.shape[0]), batch_size, replacement=True, generator=g).to(x.device)
        xb, yb = x[idx], y[idx]
        if augment_fn:
            xb, yb = augment_fn(xb, yb, g)
        model.train()
        for p in params:
            p.grad = None
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        rate = lr(step) if callable(lr) else lr
        with torch.no_grad():
            for k, p in enumerate(params):
                if p.grad is None:
                    continue
                d = p.grad + weight_decay * p
                if momentum:
                    buffers[k] = d.clone() if buffers[k] is None else buffers[k].mul_(momentum).add_(d)
                    d = buffers[k]
                p -= rate * d
        losses.append(float(loss))
    return losses
""", None),

    # --- round 3 (hidden tests by kind of escape): correct answers written differently ---------------
    # Against the hidden tests before round 3, the five padding="same" answers lost points (the tests
    # read conv.padding) and the ten wrong mutants of the next block passed every test.
    Mutant("correct: ConvStack with padding='same' (odd kernel)", REGISTER,
           "self.convs.append(nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2))",
           "self.convs.append(nn.Conv2d(c_in, c_out, kernel_size, padding=\"same\"))", None),
    Mutant("correct: conv_sequential with padding='same' and one shared nn.ReLU instance", REGISTER,
           """    layers = []
    for i in range(len(channels) - 1):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Conv2d(channels[i], channels[i + 1], kernel_size, padding=kernel_size // 2))
""", """    relu = nn.ReLU()
    layers = []
    for i in range(len(channels) - 1):
        if i > 0:
            layers.append(relu)
        layers.append(nn.Conv2d(channels[i], channels[i + 1], kernel_size, padding="same"))
""", None),
    Mutant("correct: PlainNet with padding='same' wherever the stride is 1", PLAIN,
           """        layers = [nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
        c_in = widths[0]
        for s, width in enumerate(widths):
            for j in range(2 * n):
                stride = 2 if (s > 0 and j == 0) else 1
                layers += [nn.Conv2d(c_in, width, 3, stride=stride, padding=1, bias=False),""",
           """        layers = [nn.Conv2d(in_channels, widths[0], 3, padding="same", bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
        c_in = widths[0]
        for s, width in enumerate(widths):
            for j in range(2 * n):
                stride = 2 if (s > 0 and j == 0) else 1
                layers += [nn.Conv2d(c_in, width, 3, stride=stride, padding="same" if stride == 1 else 1, bias=False),""",
           None),
    Mutant("correct: BasicBlock's conv2 with padding='same'", BASIC,
           "self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)",
           "self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=\"same\", bias=False)", None),
    Mutant("correct: ResNet's stem with padding='same'", RESNET,
           "self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),",
           "self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=\"same\", bias=False),", None),
    Mutant("correct: inner width int(out_channels / reduction), padding='same' when the stride is 1", BOTTLE,
           "\n        mid = out_channels // reduction\n"
           "        self.conv1 = nn.Conv2d(in_channels, mid, 1, bias=False)\n"
           "        self.bn1 = nn.BatchNorm2d(mid)\n"
           "        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1, bias=False)",
           "\n        mid = int(out_channels / reduction)\n"
           "        self.conv1 = nn.Conv2d(in_channels, mid, 1, bias=False)\n"
           "        self.bn1 = nn.BatchNorm2d(mid)\n"
           "        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=\"same\" if stride == 1 else 1, bias=False)",
           None),
    Mutant("correct: augment with gather and a flipped column index (device-aware)", AUGMENT,
           """    rows = (i[:, None] + torch.arange(H, device=x.device))[:, None, :, None]   # (N, 1, H, 1)
    cols = (j[:, None] + torch.arange(W, device=x.device))[:, None, None, :]   # (N, 1, 1, W)
    n = torch.arange(N, device=x.device)[:, None, None, None]
    c = torch.arange(C, device=x.device)[None, :, None, None]
    out = padded[n, c, rows, cols]                                         # (N, C, H, W)
    out = torch.where(flip[:, None, None, None], out.flip(3), out)
""", """    ar_h, ar_w = torch.arange(H, device=x.device), torch.arange(W, device=x.device)
    rows = (i[:, None] + ar_h).view(N, 1, H, 1).expand(N, C, H, W + 2 * p)
    out = padded.gather(2, rows)                                           # (N, C, H, W + 2p)
    cw = torch.where(flip[:, None], W - 1 - ar_w, ar_w)                    # read the columns backwards if flipped
    cols = (j[:, None] + cw).view(N, 1, 1, W).expand(N, C, H, W)
    out = out.gather(3, cols)
""", None),

    # --- round 3: wrong answers by kind of escape (each escaped the tests before this round) ------------
    # architecture contracts by behaviour: missing activations
    Mutant("PlainNet: no ReLU after the stem's BN", PLAIN,
           "nn.BatchNorm2d(widths[0]), nn.ReLU()]", "nn.BatchNorm2d(widths[0])]", "tp5_plainnet", kind="architecture"),
    Mutant("PlainNet: no ReLU after the first conv-BN of each stage", PLAIN,
           "                           nn.BatchNorm2d(width), nn.ReLU()]",
           "                           nn.BatchNorm2d(width)] + ([nn.ReLU()] if j > 0 else [])", "tp5_plainnet", kind="architecture"),
    # architecture contracts by behaviour: widths that do not divide (parameter counts for several configurations)
    Mutant("Bottleneck: inner width rounded up (math.ceil)", BOTTLE,
           "\n        mid = out_channels // reduction\n", "\n        mid = math.ceil(out_channels / reduction)\n",
           "tp5_bottleneck", kind="architecture"),
    Mutant("Bottleneck: inner width round(out_channels / reduction)", BOTTLE,
           "\n        mid = out_channels // reduction\n", "\n        mid = round(out_channels / reduction)\n",
           "tp5_bottleneck", kind="architecture"),
    # arguments that must reach the computation: the device (probed with 'meta' tensors), batch_size
    Mutant("augment: flip mask left on the CPU", AUGMENT,
           "flip = (torch.rand(N, generator=g) < flip_prob).to(x.device)", "flip = torch.rand(N, generator=g) < flip_prob",
           "tp5_augment", kind="argument reaching the computation"),
    Mutant("augment: index grids built on the CPU", AUGMENT,
           "rows = (i[:, None] + torch.arange(H, device=x.device))", "rows = (i[:, None] + torch.arange(H))",
           "tp5_augment", kind="argument reaching the computation"),
    Mutant("augment: the result returned on the CPU", AUGMENT, "    return out, y\n", "    return out.cpu(), y\n",
           "tp5_augment", kind="argument reaching the computation"),
    Mutant("evaluate: batch_size ignored (one forward pass on all of x)", EVALUATE,
           """        for start in range(0, x.shape[0], batch_size):
            logits = model(x[start:start + batch_size])
            yb = y[start:start + batch_size]
""", """        for start in range(0, x.shape[0], x.shape[0]):
            logits = model(x[start:])
            yb = y[start:]
""", "tp5_evaluate", kind="argument reaching the computation"),
    # state that must not be shared or leak: the global random generator
    Mutant("augment: reseeds the global generator from g, flips from it", AUGMENT,
           "    flip = (torch.rand(N, generator=g) < flip_prob).to(x.device)",
           "    torch.manual_seed(g.initial_seed())\n    flip = (torch.rand(N) < flip_prob).to(x.device)", "tp5_augment", kind="state shared or leaked"),
    Mutant("train_model: reseeds the global generator from g (torch.manual_seed)", TRAIN,
           "    losses = []\n", "    losses = []\n    torch.manual_seed(g.initial_seed())\n", "tp5_train", kind="state shared or leaked"),

    # --- round 3: wrong answers of the same kinds that the tests already caught (kept as regressions) --------
    Mutant("BasicBlock: no skip connection (relu of the branch only)", BASIC,
           "return F.relu(out + self.shortcut(x))", "return F.relu(out)", "tp5_basic_block", kind="architecture"),
    Mutant("BasicBlock: bn2 is bn1 (one BatchNorm shared)", BASIC,
           "        self.bn2 = nn.BatchNorm2d(out_channels)\n", "        self.bn2 = self.bn1\n", "tp5_basic_block", kind="state shared or leaked"),
    Mutant("ResNet: one block object repeated within a stage", RESNET,
           """            for j in range(count):
                blocks.append(block(c_in, width, 2 if (s > 0 and j == 0) else 1))
                c_in = width
""", """            rest = block(width, width, 1)
            blocks += [block(c_in, width, 2 if s > 0 else 1)] + [rest] * (count - 1)
            c_in = width
""", "tp5_resnet", kind="state shared or leaked"),
    Mutant("PlainNet: the width changes on the second conv of each stage", PLAIN,
           """                layers += [nn.Conv2d(c_in, width, 3, stride=stride, padding=1, bias=False),
                           nn.BatchNorm2d(width), nn.ReLU()]
                c_in = width
""", """                c_out = c_in if j == 0 else width
                layers += [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                           nn.BatchNorm2d(c_out), nn.ReLU()]
                c_in = c_out
""", "tp5_plainnet", kind="architecture"),
    Mutant("evaluate: puts the model back in train mode at the end", EVALUATE,
           "    return total_loss / x.shape[0], correct / x.shape[0]",
           "    model.train()\n    return total_loss / x.shape[0], correct / x.shape[0]", "tp5_evaluate", kind="train/eval mode"),
]


_batches: dict[str, dict] = {}


def _plain(cell, tag):
    """A copy of ``cell`` that grading treats as an ordinary code cell."""
    cell = copy.deepcopy(cell)
    cell.metadata = {}
    cell.id = tag
    return cell


def batch_outcomes(source_nb, solution_gid, tmp_path):
    """Run every mutant of one solution cell in a single kernel; outcomes by (mutant, test).

    The notebook: the setup cell, then per mutant a block made of every reference solution
    cell (which undoes the previous mutant), the mutant's edited cell, and copies of the
    test cells it concerns (its own; all of them for an alternative), renamed
    ``<test>__m<k>`` so that each block is scored on its own. Test cells build their own
    inputs and restore what they patch, so blocks do not leak into each other.
    """
    if solution_gid not in _batches:
        mutants = [m for m in MUTANTS if m.cell == solution_gid]
        tests = {notebooks.grade_id(c): c for c in notebooks.test_cells(source_nb)}
        solutions = notebooks.solution_cells(source_nb)
        cells = [copy.deepcopy(notebooks.cell_by_grade_id(source_nb, "tp5_setup"))]
        names = {}
        for k, m in enumerate(mutants):
            edited = notebooks.cell_by_grade_id(apply(source_nb, m), m.cell)
            cells += [_plain(c, f"m{k}-ref-{i}") for i, c in enumerate(solutions)]
            cells.append(_plain(edited, f"m{k}-mutant"))
            for t in ([m.caught_by] if m.caught_by else list(tests)):
                copy_ = copy.deepcopy(tests[t])
                gid = f"{t}__m{k}"
                copy_.metadata["nbgrader"]["grade_id"] = gid
                copy_.id = gid.replace("_", "-")
                cells.append(copy_)
                names[m.name, t] = gid
        nb = copy.deepcopy(source_nb)
        nb.cells = cells
        results = run(nb, TP, tmp_path)
        _batches[solution_gid] = {key: results[gid] for key, gid in names.items()}
    return _batches[solution_gid]


class TestTP5(mutation.SuiteChecks):
    """The shared checks; the mutants run in batches, one kernel per solution cell."""
    tp, source, mutants = TP, SOURCE, MUTANTS
    points, test_cells, own_solution_cells = 28, 12, True

    @pytest.mark.slow
    def test_each_test_cell_needs_only_its_requirements(self, source_nb, tmp_path):
        """Every test cell passes when every other solution cell is the release's stub.

        One kernel: for each test cell, the release's stubs of every solution cell, then the
        reference solutions of its own cell and of its declared requirements, then the test.
        """
        if not RELEASE.is_file():
            pytest.skip("release/ not generated")
        release = notebooks.read(RELEASE)
        stubs = [c for c in release.cells if notebooks.is_solution(c)]
        ref = {notebooks.grade_id(c): c for c in notebooks.solution_cells(source_nb)}
        cells = [copy.deepcopy(notebooks.cell_by_grade_id(source_nb, "tp5_setup"))]
        for test in notebooks.test_cells(source_nb):
            gid = notebooks.grade_id(test)
            cells += [copy.deepcopy(c) for c in stubs]
            needs = [f"{gid}_solution", *test.metadata.get("dl_course", {}).get("requires", [])]
            cells += [copy.deepcopy(ref[need]) for need in needs]
            cells.append(copy.deepcopy(test))
        nb = copy.deepcopy(source_nb)
        for i, c in enumerate(cells):  # nbgrader ids stay unique: only the test cells keep theirs
            if not notebooks.is_test(c):
                c.metadata = {}
                c.id = f"cell-{i}"
        nb.cells = cells
        results = run(nb, TP, tmp_path)
        failed = {g: o.message for g, o in results.items() if not o.passed}
        assert not failed, f"test cells that need more than their declared requirements: " \
            f"{failed}"

    # one case per mutant (``mutation.SuiteChecks.pytest_generate_tests``)
    @pytest.mark.slow
    def test_mutant(self, source_nb, mutant, tmp_path):
        outcomes = batch_outcomes(source_nb, mutant.cell, tmp_path)
        if mutant.caught_by is None:
            mine = {t: o for (name, t), o in outcomes.items() if name == mutant.name}
            failed = {t: o.message for t, o in mine.items() if not o.passed}
            assert not failed, f"correct alternative {mutant.name!r} fails: {failed}"
            assert len(mine) == len(mutation.tests_of(source_nb))
        else:
            outcome = outcomes[mutant.name, mutant.caught_by]
            assert not outcome.passed, \
                f"mutant {mutant.name!r} is not caught by {mutant.caught_by}"
            # caught by a check, not by an undefined name or a timeout
            why = wrong_reason(outcome.message)
            assert why is None, (f"mutant {mutant.name!r} fails {mutant.caught_by} for the "
                                 f"wrong reason ({why}): {outcome.message}")
