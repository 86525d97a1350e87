#!/usr/bin/env python3
"""SOHO's pre-training step and VQA inference in eager PyTorch: the baseline of
//benchmarks:train_benchmark and //benchmarks:model_benchmark.

An independent transcription, in the reference's style (nn.Modules with the reference's
parameter names, torch.nn.functional, a per-parameter Python optimizer loop), of the step
that the C++ trainer runs (docs/design.md section 1):

  torchvision-style ResNet (BasicBlock) -> pre-training neck (2x2 max-pool, 1x1 conv + BN,
  Visual Dictionary nearest entry + moving-average update, pos_line, gate, MVM masking, sine
  position encoding, LayerNorm) -> VL-BERT (post-LN, GELU(erf)) -> MLM (tied to the word
  embeddings), MVM (cosine to the dictionary) and ITM losses -> backward ->
  clip_grad_norm_ -> AdamwSGD (SGD with momentum for one group, Hugging Face AdamW for the
  rest).

It does the same work as the C++ model, not more: where the released reference spends extra
compute (MLM logits for the visual tokens too, one-hot matrix products in the dictionary,
zeroing gradients instead of dropping them) this script does what the C++ model does, so the
benchmark compares implementations of one computation.

VQA inference (when the spec has "vqa"): the same backbone and transformer with the VQA neck
(2x2 max-pool, 1x1 conv + BN, sine position code, LayerNorm) and the VQA MLP head, one
question of `length` tokens per image, forward under torch.no_grad() in eval mode.

Protocol, one JSON object per line on stdout (anything else goes to stderr):
  soho_train_step.py '<spec JSON>'   -> {"ready": true, "environment": {...}, "groups": [...]}
  each line "step" on stdin          -> {"seconds": s, "stages": {...}, "loss": x}
  each line "vqa B" on stdin         -> {"seconds": s, "minor_faults": n, "logit": x}  (batch B)
  end of stdin                       -> exit 0
The spec (written by the benchmark from a config) gives the model, optimizer, batch shape,
thread count and seed; see eager_step.cc's EagerSpec.
"""
import ctypes
import json
import math
import re
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BASIC_BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}
IGNORE = -100


# ------------------------------------------------------------------------------ backbone

class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """C5 only; stem + layer1..frozen_stages frozen (no gradient, BatchNorm in eval)."""

    def __init__(self, depth, frozen_stages, norm_eval, zero_init_residual, base_channels=64):
        super().__init__()
        if depth not in BASIC_BLOCKS:
            raise ValueError(f'depth {depth}: this transcription has BasicBlock ResNets only '
                             f'({sorted(BASIC_BLOCKS)})')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.conv1 = nn.Conv2d(3, base_channels, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base_channels)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = base_channels
        for i, blocks in enumerate(BASIC_BLOCKS[depth]):
            planes = base_channels << i
            layer = [BasicBlock(inplanes, planes, 1 if i == 0 else 2)]
            layer += [BasicBlock(planes, planes, 1) for _ in range(blocks - 1)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*layer))
            inplanes = planes
        self.out_channels = inplanes
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)
        for m in self.frozen_modules():
            for p in m.parameters():
                p.requires_grad = False

    def frozen_modules(self):
        if self.frozen_stages == 0:
            return []
        return [self.conv1, self.bn1] + [getattr(self, f'layer{i}') for i in range(1, self.frozen_stages + 1)]

    def train(self, mode=True):
        super().train(mode)
        if mode:
            for m in self.frozen_modules():
                m.eval()
            if self.norm_eval:
                for m in self.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()
        return self

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


# ---------------------------------------------------------------------------------- neck

class ConvModule(nn.Module):
    """mmcv's ConvModule as the neck uses it: 1x1 conv (no bias) + BatchNorm, no activation."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        nn.init.kaiming_normal_(self.conv.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        return self.bn(self.conv(x))


class VisualDictionary(nn.Module):
    def __init__(self, num_tokens, dim, decay, eps):
        super().__init__()
        self.num_tokens, self.decay, self.eps = num_tokens, decay, eps
        self.register_buffer('embed', torch.randn(num_tokens, dim))
        self.register_buffer('cluster_size', torch.zeros(num_tokens))
        self.register_buffer('cluster_sum', torch.zeros(num_tokens))
        self.register_buffer('embed_avg', torch.zeros(num_tokens, dim))

    def forward(self, inputs_flatten):
        with torch.no_grad():
            distances = (torch.sum(inputs_flatten ** 2, dim=1, keepdim=True)
                         + torch.sum(self.embed ** 2, dim=1)
                         - 2 * torch.matmul(inputs_flatten, self.embed.t()))
            indices = torch.argmin(distances, dim=1)
            if self.training:
                self.update(inputs_flatten, indices)
        quantize = self.embed[indices]
        return (quantize - inputs_flatten).detach() + inputs_flatten, indices

    def update(self, inputs_flatten, indices):
        counts = torch.zeros(self.num_tokens).index_add_(0, indices, torch.ones(len(indices)))
        sums = torch.zeros_like(self.embed_avg).index_add_(0, indices, inputs_flatten)
        self.cluster_sum.add_(counts)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_avg.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.cluster_size.sum()
        cluster_size = (self.cluster_size + self.eps) / (n + self.num_tokens * self.eps) * n
        self.embed.copy_(self.embed_avg / cluster_size.unsqueeze(1))


def grid_mask(valid_hw, padded_hw, grid_hw):
    """Pixel valid mask of each image, nearest-downsampled to the grid: [B, h, w] bool."""
    pixels = torch.zeros(len(valid_hw), 1, *padded_hw)
    for i, (h, w) in enumerate(valid_hw.tolist()):
        pixels[i, 0, :h, :w] = 1
    return F.interpolate(pixels, size=grid_hw).to(torch.bool)[:, 0]


def position_encoding_sine(mask, channels):
    y_embed = mask.cumsum(1, dtype=torch.float32)
    x_embed = mask.cumsum(2, dtype=torch.float32)
    eps = 1e-6
    y_embed = y_embed / (y_embed[:, -1:, :] + eps) * 2 * math.pi
    x_embed = x_embed / (x_embed[:, :, -1:] + eps) * 2 * math.pi
    pos_feat_dim = channels // 2
    dim_t = torch.arange(pos_feat_dim, dtype=torch.float32)
    dim_t = 10000 ** (2 * (dim_t // 2) / pos_feat_dim)
    pos_x = x_embed[:, :, :, None] / dim_t
    pos_y = y_embed[:, :, :, None] / dim_t
    pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
    pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


class PretrainNeck(nn.Module):
    def __init__(self, in_channels, spec):
        super().__init__()
        c = spec['out_channels']
        self.out_channels = c
        self.mask_prob = spec['mask_prob']
        self.conv = ConvModule(in_channels, c)
        self.ln = nn.LayerNorm(c, eps=spec['layer_norm_eps'])
        self.mask_emb = nn.Embedding(1, c)
        self.vq = VisualDictionary(spec['dict_size'], c, spec['decay'], spec['dict_eps'])
        self.gate_fc = ConvModule(2 * c, 2) if spec['gate'] else None
        self.pos_line = nn.Linear(c, c)

    def forward(self, c5, valid_hw, padded_hw, group):
        # Pooled before the per-caption repeat (the same values as the reference's
        # repeat-then-pool, on 1/group of the data, as the C++ neck does).
        x = F.max_pool2d(c5, 2, stride=2).repeat_interleave(group, 0)
        xq = self.conv(x)
        b, c, h, w = xq.shape
        quantized, indices = self.vq(xq.permute(0, 2, 3, 1).reshape(b * h * w, c))
        embedded = self.pos_line(quantized).view(b, h * w, c).permute(0, 2, 1).view(b, c, h, w)
        if self.gate_fc is not None:
            score = F.softmax(self.gate_fc(torch.cat([embedded, xq], dim=1)), dim=1)
            embedded = embedded * score[:, 0:1] + xq * score[:, 1:2]
        else:
            embedded = embedded + xq

        # Masked visual modelling: the valid cells sharing one random cell's dictionary
        # index, in samples drawn with probability mask_prob.
        mask = grid_mask(valid_hw, padded_hw, (h, w)).repeat_interleave(group, 0)
        visual_mask = mask.view(b, 1, h, w).float()
        indices = indices.view(b, 1, h, w).float() * visual_mask + IGNORE * (1 - visual_mask)
        cell = torch.randint(h * w, (1,)).item()
        chosen = indices[:, :, cell // w, cell % w].view(b, 1, 1, 1)
        masked = (indices == chosen).float() * visual_mask
        masked = masked * torch.bernoulli(torch.full((b, 1, 1, 1), self.mask_prob))
        mask_emb = self.mask_emb.weight.view(1, c, 1, 1)
        embedded = embedded * (1 - masked) + mask_emb * masked
        labels = indices * masked + IGNORE * (1 - masked)

        embedded = embedded + position_encoding_sine(mask, c)
        tokens = self.ln(embedded.permute(0, 2, 3, 1)).reshape(b, h * w, c)
        return tokens, mask.view(b, -1).long(), labels.long().view(b, -1)


# ------------------------------------------------------------------------------- VL-BERT

class BertEmbeddings(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.word_embeddings = nn.Embedding(s['vocab_size'], s['hidden_size'], padding_idx=0)
        self.position_embeddings = nn.Embedding(s['max_position_embeddings'], s['hidden_size'])
        self.token_type_embeddings = nn.Embedding(s['type_vocab_size'], s['hidden_size'])
        self.LayerNorm = nn.LayerNorm(s['hidden_size'], eps=s['layer_norm_eps'])
        self.dropout = nn.Dropout(s['hidden_dropout'])
        self.register_buffer('position_ids', torch.arange(s['max_position_embeddings']).unsqueeze(0),
                             persistent=False)

    def forward(self, input_ids):
        position_ids = self.position_ids[:, :input_ids.size(1)]
        token_type_ids = torch.zeros_like(input_ids)
        embeddings = (self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
                      + self.token_type_embeddings(token_type_ids))
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.num_heads = s['num_heads']
        self.head_size = s['hidden_size'] // s['num_heads']
        self.query = nn.Linear(s['hidden_size'], s['hidden_size'])
        self.key = nn.Linear(s['hidden_size'], s['hidden_size'])
        self.value = nn.Linear(s['hidden_size'], s['hidden_size'])
        self.dropout = nn.Dropout(s['attention_dropout'])

    def transpose_for_scores(self, x):
        return x.view(x.size(0), x.size(1), self.num_heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask):
        q = self.transpose_for_scores(self.query(hidden_states))
        k = self.transpose_for_scores(self.key(hidden_states))
        v = self.transpose_for_scores(self.value(hidden_states))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + attention_mask
        probs = self.dropout(F.softmax(scores, dim=-1))
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size(0), context.size(1), -1)


class BertResidualOutput(nn.Module):
    """BertSelfOutput / BertOutput: LayerNorm(dropout(dense(x)) + residual)."""

    def __init__(self, in_features, s):
        super().__init__()
        self.dense = nn.Linear(in_features, s['hidden_size'])
        self.LayerNorm = nn.LayerNorm(s['hidden_size'], eps=s['layer_norm_eps'])
        self.dropout = nn.Dropout(s['hidden_dropout'])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class BertAttention(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.self = BertSelfAttention(s)
        self.output = BertResidualOutput(s['hidden_size'], s)

    def forward(self, hidden_states, attention_mask):
        return self.output(self.self(hidden_states, attention_mask), hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.dense = nn.Linear(s['hidden_size'], s['intermediate_size'])

    def forward(self, x):
        return F.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.attention = BertAttention(s)
        self.intermediate = BertIntermediate(s)
        self.output = BertResidualOutput(s['intermediate_size'], s)

    def forward(self, hidden_states, attention_mask):
        attended = self.attention(hidden_states, attention_mask)
        return self.output(self.intermediate(attended), attended)


class BertEncoder(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(s) for _ in range(s['num_layers'])])

    def forward(self, hidden_states, attention_mask):
        for layer in self.layer:
            hidden_states = layer(hidden_states, attention_mask)
        return hidden_states


class BertModel(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.embeddings = BertEmbeddings(s)
        self.encoder = BertEncoder(s)


class VisualLanguageBert(nn.Module):
    """Text embeddings, then the visual tokens appended as they are: [text ; visual]."""

    def __init__(self, s):
        super().__init__()
        self.bert = BertModel(s)
        for m in self.modules():  # BERT's init; it overwrites the padding row too
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.data.normal_(mean=0.0, std=0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    m.bias.data.zero_()
            elif isinstance(m, nn.LayerNorm):
                m.weight.data.fill_(1.0)
                m.bias.data.zero_()

    def forward(self, input_ids, attention_mask, visual_tokens, visual_mask):
        text = self.bert.embeddings(input_ids)
        hidden = torch.cat([text, visual_tokens], dim=1)
        mask = torch.cat([attention_mask, visual_mask], dim=1).float()
        extended = (1.0 - mask[:, None, None, :]) * -10000.0
        return self.bert.encoder(hidden, extended)


# ------------------------------------------------------------------------- model, losses

class ItmHead(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.match_class = nn.Linear(hidden_size, 2, bias=False)
        nn.init.kaiming_normal_(self.match_class.weight)

    def forward(self, fusion_feature):
        return self.match_class(fusion_feature[:, 0, :])


def accuracy(pred, target):
    """Percent of rows whose arg-max is the target (the reference's top-1 accuracy)."""
    if len(target) == 0:
        return torch.zeros(())
    return pred.argmax(dim=1).eq(target).float().mean() * 100


class SohoPretrain(nn.Module):
    def __init__(self, spec):
        super().__init__()
        b, n, t = spec['backbone'], spec['neck'], spec['transformer']
        self.backbone = ResNet(b['depth'], b['frozen_stages'], b['norm_eval'], b['zero_init_residual'],
                               b.get('base_channels', 64))
        self.neck = PretrainNeck(self.backbone.out_channels, n)
        self.language = VisualLanguageBert(t)
        self.head = ItmHead(t['hidden_size'])
        words = self.language.bert.embeddings.word_embeddings.weight
        self.mask_l_fc = nn.Linear(words.size(1), words.size(0), bias=False)
        self.mask_l_fc.weight = words  # tied: the same Parameter
        self.weights = spec['head']

    def forward(self, img, valid_hw, language_tokens, language_attention, mask_labels, next_label):
        c5 = self.backbone(img)
        group = language_tokens.size(0) // img.size(0)
        visual_tokens, visual_mask, mask_v_labels = self.neck(c5, valid_hw, img.shape[2:], group)
        fusion = self.language(language_tokens, language_attention, visual_tokens, visual_mask)
        length = language_tokens.size(1)
        mask_l_pred = self.mask_l_fc(fusion[:, :length]).reshape(-1, self.mask_l_fc.out_features)
        visual = F.normalize(fusion[:, length:].reshape(-1, fusion.size(2)), dim=-1)
        mask_v_pred = torch.matmul(visual, F.normalize(self.neck.vq.embed, dim=-1).t())
        next_pred = self.head(fusion)
        return self.loss(mask_l_pred, mask_labels.view(-1), mask_v_pred, mask_v_labels.view(-1),
                         next_pred, next_label)

    def loss(self, mask_l_pred, mask_l_label, mask_v_pred, mask_v_label, next_pred, next_label):
        eps = 1e-6
        mask_l, mask_v = mask_l_label >= 0, mask_v_label >= 0
        losses = {
            'loss_mlm': F.cross_entropy(mask_l_pred, mask_l_label, reduction='none').sum()
                        / (mask_l.float().sum() + eps),
            'loss_mvm': F.cross_entropy(mask_v_pred, mask_v_label, reduction='none').sum()
                        / (mask_v.float().sum() + eps),
            'loss_itm': F.cross_entropy(next_pred, next_label),
            'acc_l': accuracy(mask_l_pred[mask_l].detach(), mask_l_label[mask_l]),
            'acc_v': accuracy(mask_v_pred[mask_v].detach(), mask_v_label[mask_v]),
            'acc_match': accuracy(next_pred.detach(), next_label),
        }
        losses['loss'] = (losses['loss_mlm'] * self.weights['mlm_weight']
                          + losses['loss_mvm'] * self.weights['mvm_weight']
                          + losses['loss_itm'] * self.weights['itm_weight'])
        return losses


# ------------------------------------------------------------------------- VQA inference

class VqaNeck(nn.Module):
    """SimpleVDforVQA: 2x2 max-pool, 1x1 conv + BN, sine position code, LayerNorm."""

    def __init__(self, in_channels, spec):
        super().__init__()
        c = spec['out_channels']
        self.conv = ConvModule(in_channels, c)
        self.ln = nn.LayerNorm(c, eps=spec['layer_norm_eps'])

    def forward(self, c5, valid_hw, padded_hw, group):
        xq = self.conv(F.max_pool2d(c5, 2, stride=2).repeat_interleave(group, 0))
        b, c, h, w = xq.shape
        mask = grid_mask(valid_hw, padded_hw, (h, w)).repeat_interleave(group, 0)
        x = xq + position_encoding_sine(mask, c)
        return self.ln(x.permute(0, 2, 3, 1)).reshape(b, h * w, c), mask.view(b, -1).long()


class SohoVqa(nn.Module):
    def __init__(self, spec):
        super().__init__()
        b, n, t, v = spec['backbone'], spec['neck'], spec['transformer'], spec['vqa']
        self.backbone = ResNet(b['depth'], b['frozen_stages'], b['norm_eval'], b['zero_init_residual'],
                               b.get('base_channels', 64))
        self.neck = VqaNeck(self.backbone.out_channels, n)
        self.language = VisualLanguageBert(t)
        self.head = nn.Sequential(nn.Linear(t['hidden_size'], v['hidden_size']), nn.ReLU(inplace=True),
                                  nn.Dropout(v['dropout']), nn.Linear(v['hidden_size'], v['num_answers']))

    def forward(self, img, valid_hw, input_ids, attention):
        c5 = self.backbone(img)
        tokens, mask = self.neck(c5, valid_hw, img.shape[2:], input_ids.size(0) // img.size(0))
        return self.head(self.language(input_ids, attention, tokens, mask)[:, 0])


def make_vqa_inputs(spec, batch):
    """`batch` images of the spec's size (the workload recipe), one question each."""
    h, w = spec['height'], spec['width']
    images = torch.zeros(batch, 3, (h + 31) // 32 * 32, (w + 31) // 32 * 32)
    images[:, :, :h, :w].normal_()
    input_ids = torch.randint(1, spec['transformer']['vocab_size'], (batch, spec['length']))
    return images, torch.tensor([[h, w]] * batch), input_ids, torch.ones_like(input_ids)


def vqa_forward(model, inputs):
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    with torch.no_grad():
        logits = model(*inputs)
    seconds = time.perf_counter() - start
    return {'seconds': seconds, 'minor_faults': resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
            'logit': logits.max().item()}


# ----------------------------------------------------------------------------- optimizer

class AdamwSGD(torch.optim.Optimizer):
    """The reference's combined optimizer: SGD with momentum for groups of kind 'sgd', AdamW
    with bias correction and decoupled decay applied after the update (Hugging Face order)
    for the others."""

    def __init__(self, groups):
        super().__init__(groups, {})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            if group['kind'] == 'sgd':
                for p in group['params']:
                    if p.grad is None:
                        continue
                    d_p = p.grad
                    if group['weight_decay'] != 0:
                        d_p = d_p.add(p, alpha=group['weight_decay'])
                    if group['momentum'] != 0:
                        state = self.state[p]
                        if 'momentum_buffer' not in state:
                            buf = state['momentum_buffer'] = torch.clone(d_p).detach()
                        else:
                            buf = state['momentum_buffer']
                            buf.mul_(group['momentum']).add_(d_p)
                        d_p = buf
                    p.add_(d_p, alpha=-group['lr'])
            else:
                beta1, beta2 = group['betas']
                for p in group['params']:
                    if p.grad is None:
                        continue
                    grad = p.grad
                    state = self.state[p]
                    if len(state) == 0:
                        state['step'] = 0
                        state['exp_avg'] = torch.zeros_like(p)
                        state['exp_avg_sq'] = torch.zeros_like(p)
                    exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                    state['step'] += 1
                    exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                    denom = exp_avg_sq.sqrt().add_(group['eps'])
                    step_size = (group['lr'] * math.sqrt(1.0 - beta2 ** state['step'])
                                 / (1.0 - beta1 ** state['step']))
                    p.addcdiv_(exp_avg, denom, value=-step_size)
                    if group['weight_decay'] > 0.0:
                        p.add_(p, alpha=-group['lr'] * group['weight_decay'])


def optimizer_groups(model, spec):
    """Each trainable parameter joins the first group whose name_regex matches its name
    (re.search); the last group (empty regex) takes the rest."""
    groups = [dict(g, params=[], names=[]) for g in spec['groups']]
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        g = next(g for g in groups if g['name_regex'] == '' or re.search(g['name_regex'], name))
        g['params'].append(p)
        g['names'].append(name)
    lr = spec['lr']
    return [dict(params=g['params'], kind=g['kind'], lr=lr * g['lr_mult'],
                 weight_decay=g['weight_decay'], momentum=g['momentum'],
                 betas=(g['beta1'], g['beta2']), eps=g['eps']) for g in groups]


# ---------------------------------------------------------------------------- benchmark

def blas_description():
    """The BLAS loaded into this process, in the C++ benchmark's words (blas_info.cc)."""
    with open('/proc/self/maps') as maps:
        paths = sorted({line.split()[-1] for line in maps
                        if '/' in line and 'blas' in line.rsplit('/', 1)[-1]})
    for path in paths:
        lib = ctypes.CDLL(path)  # already loaded: the same handle
        if hasattr(lib, 'openblas_get_corename'):
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return (f'OpenBLAS ({lib.openblas_get_config().decode()}, '
                    f'core {lib.openblas_get_corename().decode()}, {lib.openblas_get_num_threads()} threads)')
    return 'not OpenBLAS (e.g. the netlib reference BLAS, or MKL)'


def make_inputs(spec):
    """The C++ benchmark's workload recipe (pretrain_workload.cc), drawn here."""
    n, h, w = spec['images'], spec['height'], spec['width']
    rows, length = n * spec['captions'], spec['length']
    images = torch.zeros(n, 3, (h + 31) // 32 * 32, (w + 31) // 32 * 32)
    images[:, :, :h, :w].normal_()
    valid_hw = torch.tensor([[h, w]] * n)
    input_ids = torch.randint(1, spec['transformer']['vocab_size'], (rows, length))
    attention = torch.ones(rows, length, dtype=torch.long)
    mlm_labels = torch.where(torch.rand(rows, length) < 0.15, input_ids, torch.full_like(input_ids, IGNORE))
    itm_labels = torch.randint(0, 2, (rows,))
    return images, valid_hw, input_ids, attention, mlm_labels, itm_labels


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec['threads'])
    # As the C++ side: denormals from random weights would time the weights, not the model.
    torch.set_flush_denormal(True)
    torch.manual_seed(spec['seed'])
    model = SohoPretrain(spec)
    model.train()
    groups = optimizer_groups(model, spec['optimizer'])
    optimizer = AdamwSGD(groups)
    params = [p for p in model.parameters() if p.requires_grad]
    max_norm = spec['optimizer']['grad_clip_norm']
    inputs = make_inputs(spec)
    emit({'ready': True,
          'environment': {'torch': torch.__version__, 'python': sys.version.split()[0],
                          'threads': torch.get_num_threads(), 'blas': blas_description()},
          'groups': [{'kind': g['kind'], 'tensors': len(g['params']),
                      'elements': sum(p.numel() for p in g['params'])} for g in groups]})

    vqa_model = None
    vqa_inputs = {}
    if 'vqa' in spec:
        vqa_model = SohoVqa(spec).eval()

    for line in sys.stdin:
        request = line.split()
        if vqa_model is not None and len(request) == 2 and request[0] == 'vqa':
            batch = int(request[1])
            if batch not in vqa_inputs:
                vqa_inputs[batch] = make_vqa_inputs(spec, batch)
            emit(vqa_forward(vqa_model, vqa_inputs[batch]))
            continue
        if request != ['step']:
            raise ValueError(f'unknown request {line!r} (expected "step" or, with a "vqa" spec, "vqa B")')
        marks = [time.perf_counter()]
        optimizer.zero_grad(set_to_none=True)
        losses = model(*inputs)
        marks.append(time.perf_counter())
        losses['loss'].backward()
        marks.append(time.perf_counter())
        torch.nn.utils.clip_grad_norm_([p for p in params if p.grad is not None], max_norm)
        marks.append(time.perf_counter())
        optimizer.step()
        marks.append(time.perf_counter())
        stages = dict(zip(('forward', 'backward', 'clip', 'optimizer'),
                          (b - a for a, b in zip(marks, marks[1:]))))
        emit({'seconds': marks[-1] - marks[0], 'stages': stages, 'loss': losses['loss'].item()})


if __name__ == '__main__':
    main()
