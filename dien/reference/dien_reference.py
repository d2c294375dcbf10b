#!/usr/bin/env python3
"""The reference PyTorch DIEN, re-typed for side-by-side benchmarking against the Java/DJL port.

This is the DIEN of the DIEN MovieLens notebook (classes DIEN, Interest, Attention, DynamicGRU,
AttentionUpdateGateGRUCell, AttentionGRUCell, AuxiliaryNet, MLP, Dice, AttentionGroup; see
/work/shared/design/REFERENCE.md), kept structurally as that notebook writes it, because its
speed is what the Java port is compared against: nn.Embedding per feature, nn.GRU on packed
sequences, an attention MLP with Dice over [q, k, q-k, q*k], a Python loop over the packed time
steps for the attention-GRU cell, an auxiliary MLP, and a final MLP with BatchNorm / PReLU /
dropout. Parameter names are the reference's state_dict names, so golden vectors load as is.

Departures from the notebook, each marked FIX in the code and none changing the computed
function on batches the notebook accepts:
  * batch of 1: the notebook squeezes away the batch dimension (keys_length.squeeze() before
    pack_padded_sequence, the weighted sum's / final GRU state's .squeeze(), output.squeeze()),
    so a batch of 1 fails. Here those squeezes name their dimension (or are dropped).
  * Interest.forward computes the auxiliary loss only when negatives are passed. The notebook
    computes it whenever use_negsampling is set (its predict() pays for it and discards it);
    `bench` measures both ways (see the JSON keys).

Subcommands:
  parity GOLDEN.json   check against one golden-vector file; one JSON line; exit 1 if off
  bench [--threads N] [--repeats R] ...   rows/s, the workload of `./ctr bench model`

Exists only for benchmarking and cross-checking; it is not part of the product.
"""

import os

# OpenBLAS single-threaded, as the reference's figures were measured (REFERENCE.md: OpenBLAS
# threads next to PyTorch's own on 2 cores run 2-4x slower). Must be set before torch loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402

try:
    import torch  # noqa: F401
except ImportError:  # e.g. a pyenv python3 first on PATH: Debian's python3-torch is elsewhere
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath(
            "/usr/bin/python3") and not os.environ.get("DIEN_REFERENCE_REEXEC"):
        os.environ["DIEN_REFERENCE_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    raise

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import OrderedDict  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence  # noqa: E402

# =================================================================================================
# The model, as the reference notebook structures it
# =================================================================================================


class MaxPooling(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return torch.max(x, self.dim)[0]


class Dice(nn.Module):
    """DIN's data-adaptive activation: p = sigmoid(BN(x)); alpha * (1 - p) * x + p * x."""

    def __init__(self, emb_size, dim=2, epsilon=1e-8):
        super().__init__()
        assert dim in (2, 3)
        self.bn = nn.BatchNorm1d(emb_size, eps=epsilon)
        self.sigmoid = nn.Sigmoid()
        self.dim = dim
        self.alpha = nn.Parameter(
            torch.zeros((emb_size,)) if dim == 2 else torch.zeros((emb_size, 1)))

    def forward(self, x):
        assert x.dim() == self.dim
        if self.dim == 2:
            x_p = self.sigmoid(self.bn(x))
            return self.alpha * (1 - x_p) * x + x_p * x
        x = torch.transpose(x, 1, 2)
        x_p = self.sigmoid(self.bn(x))
        out = self.alpha * (1 - x_p) * x + x_p * x
        return torch.transpose(out, 1, 2)


class Identity(nn.Module):
    def forward(self, x):
        return x


def get_activation_layer(name, hidden_size=None, dice_dim=2, dice_eps=1e-8):
    name = name.lower()
    by_lower = {x.lower(): x for x in dir(nn) if "__" not in x and "A" <= x[0] <= "Z"}
    if name == "linear":
        return Identity()
    if name == "dice":
        return Dice(hidden_size, dice_dim, epsilon=dice_eps)
    assert name in by_lower, f"activation {name} not supported"
    return getattr(nn, by_lower[name])()


def init_weights(module):
    """The reference's init: Linear kaiming-uniform weight, N(0, 1) bias; BatchNorm N(1, 0.02)
    weight, 0 bias. Embeddings (N(0, 1), pad row 0), GRUs (U(+-1/sqrt(H))), PReLU (0.25) and
    Dice alpha (0) keep their own defaults."""
    if isinstance(module, nn.Linear):
        nn.init.kaiming_uniform_(module.weight.data)
        if module.bias is not None:
            nn.init.normal_(module.bias.data)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
        nn.init.normal_(module.weight.data, mean=1, std=0.02)
        nn.init.constant_(module.bias.data, 0)


class MLP(nn.Module):
    """Linear -> BatchNorm -> activation -> dropout, per hidden layer."""

    def __init__(self, input_size, hidden_layers, dropout=0.0, batchnorm=True,
                 activation="relu", bn_eps=1e-5, dice_eps=1e-8):
        super().__init__()
        modules = OrderedDict()
        previous = input_size
        for i, size in enumerate(hidden_layers):
            modules[f"dense{i}"] = nn.Linear(previous, size)
            if batchnorm:
                modules[f"batchnorm{i}"] = nn.BatchNorm1d(size, eps=bn_eps)
            if activation:
                modules[f"activation{i}"] = get_activation_layer(
                    activation, size, 2, dice_eps=dice_eps)
            if dropout:
                modules[f"dropout{i}"] = nn.Dropout(dropout)
            previous = size
        self.mlp = nn.Sequential(modules)

    def forward(self, x):
        return self.mlp(x)


class AttentionGRUCell(nn.Module):
    """AGRU cell: gates (reset, new); the attention score replaces the update gate."""

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.Tensor(2 * hidden_size, input_size))  # (Wr|Wn)
        self.weight_hh = nn.Parameter(torch.Tensor(2 * hidden_size, hidden_size))  # (Ur|Un)
        if bias:
            self.bias_ih = nn.Parameter(torch.Tensor(2 * hidden_size))
            self.bias_hh = nn.Parameter(torch.Tensor(2 * hidden_size))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / self.hidden_size ** 0.5
        for w in self.parameters():
            nn.init.uniform_(w, -stdv, stdv)

    def forward(self, x, hx, att_score):
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        gh = F.linear(hx, self.weight_hh, self.bias_hh)
        i_r, i_n = gi.chunk(2, 1)
        h_r, h_n = gh.chunk(2, 1)
        reset_gate = torch.sigmoid(i_r + h_r)
        new_gate = torch.tanh(i_n + reset_gate * h_n)
        att_score = att_score.view(-1, 1)
        return (1.0 - att_score) * hx + att_score * new_gate


class AttentionUpdateGateGRUCell(nn.Module):
    """AUGRU cell. In the model the gate chunks are (update, reset, new) (REFERENCE.md: the
    notebook's earlier stand-alone cell uses (reset, update, new); the model does not)."""

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.Tensor(3 * hidden_size, input_size))  # (Wu|Wr|Wn)
        self.weight_hh = nn.Parameter(torch.Tensor(3 * hidden_size, hidden_size))  # (Uu|Ur|Un)
        if bias:
            self.bias_ih = nn.Parameter(torch.Tensor(3 * hidden_size))
            self.bias_hh = nn.Parameter(torch.Tensor(3 * hidden_size))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / self.hidden_size ** 0.5
        for w in self.parameters():
            nn.init.uniform_(w, -stdv, stdv)

    def forward(self, x, hx, att_score):
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        gh = F.linear(hx, self.weight_hh, self.bias_hh)
        i_u, i_r, i_n = gi.chunk(3, 1)
        h_u, h_r, h_n = gh.chunk(3, 1)
        update_gate = torch.sigmoid(i_u + h_u)
        reset_gate = torch.sigmoid(i_r + h_r)
        new_gate = torch.tanh(i_n + reset_gate * h_n)
        update_gate = att_score.view(-1, 1) * update_gate
        return (1 - update_gate) * hx + update_gate * new_gate


class DynamicGRU(nn.Module):
    """Runs an attention-GRU cell over a PackedSequence, one cell call per packed time step."""

    def __init__(self, input_size, hidden_size, bias=True, gru_type="AGRU"):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        if gru_type == "AGRU":
            self.rnn = AttentionGRUCell(input_size, hidden_size, bias)
        elif gru_type == "AUGRU":
            self.rnn = AttentionUpdateGateGRUCell(input_size, hidden_size, bias)

    def forward(self, x, att_scores, hx=None):
        if not isinstance(x, PackedSequence) or not isinstance(att_scores, PackedSequence):
            raise NotImplementedError("DynamicGRU only supports packed input and scores")
        x, batch_sizes, sorted_indices, unsorted_indices = x
        att_scores, _, _, _ = att_scores
        max_batch_size = int(batch_sizes[0])
        if hx is None:
            hx = torch.zeros(max_batch_size, self.hidden_size, dtype=x.dtype, device=x.device)
        outputs = torch.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
        begin = 0
        for batch in batch_sizes:
            new_hx = self.rnn(x[begin:begin + batch], hx[0:batch],
                              att_scores[begin:begin + batch])
            outputs[begin:begin + batch] = new_hx
            hx = new_hx
            begin += batch
        return PackedSequence(outputs, batch_sizes, sorted_indices, unsorted_indices)


class Attention(nn.Module):
    """MLP over [q, k, q-k, q*k] -> one score, / sqrt(dim), masked past the length, softmax."""

    def __init__(self, input_size, hidden_layers, dropout=0.0, batchnorm=True,
                 activation="prelu", return_scores=False, bn_eps=1e-5, dice_eps=1e-8):
        super().__init__()
        self.return_scores = return_scores
        self.mlp = MLP(input_size * 4, hidden_layers, dropout=dropout, batchnorm=batchnorm,
                       activation=activation, bn_eps=bn_eps, dice_eps=dice_eps)
        self.fc = nn.Linear(hidden_layers[-1], 1)

    def forward(self, query, keys, keys_length):
        batch_size, max_length, dim = keys.size()
        query = query.unsqueeze(1).expand(-1, max_length, -1)
        din_all = torch.cat([query, keys, query - keys, query * keys], dim=-1)
        din_all = din_all.view(batch_size * max_length, -1)
        outputs = self.mlp(din_all)
        outputs = self.fc(outputs).view(batch_size, max_length)  # [B, T]
        outputs = outputs / (dim ** 0.5)
        mask = (torch.arange(max_length, device=keys_length.device).repeat(batch_size, 1)
                < keys_length.view(-1, 1))
        outputs[~mask] = -np.inf
        outputs = F.softmax(outputs, dim=1)  # DIEN: softmax over time (DIN uses a sigmoid)
        if not self.return_scores:
            # FIX(batch=1): the notebook's bare .squeeze() also drops the batch dimension.
            outputs = torch.matmul(outputs.unsqueeze(1), keys).squeeze(1)  # [B, H]
        return outputs


class AuxiliaryNet(nn.Module):
    def __init__(self, input_size, hidden_layers, activation="sigmoid"):
        super().__init__()
        modules = OrderedDict()
        previous = input_size
        for i, size in enumerate(hidden_layers):
            modules[f"dense{i}"] = nn.Linear(previous, size)
            if activation:
                modules[f"activation{i}"] = get_activation_layer(activation)
            previous = size
        modules["final_layer"] = nn.Linear(previous, 1)
        self.mlp = nn.Sequential(modules)

    def forward(self, x):
        return torch.sigmoid(self.mlp(x))


class Interest(nn.Module):
    SUPPORTED_GRU_TYPE = ["GRU", "AIGRU", "AGRU", "AUGRU"]

    def __init__(self, input_size, gru_type="AUGRU", gru_dropout=0.0, att_hidden_layers=(80, 40),
                 att_dropout=0.0, att_batchnorm=True, att_activation="prelu",
                 use_negsampling=False, aux_hidden_layers=(100, 50), bn_eps=1e-5,
                 dice_eps=1e-8):
        super().__init__()
        if gru_type not in Interest.SUPPORTED_GRU_TYPE:
            raise NotImplementedError(f"gru_type: {gru_type} is not supported")
        self.gru_type = gru_type
        self.use_negsampling = use_negsampling

        self.interest_extractor = nn.GRU(input_size=input_size, hidden_size=input_size,
                                         batch_first=True, bidirectional=False)
        if use_negsampling:
            self.auxiliary_net = AuxiliaryNet(input_size * 2, list(aux_hidden_layers))

        att = dict(input_size=input_size, hidden_layers=list(att_hidden_layers),
                   dropout=att_dropout, batchnorm=att_batchnorm, activation=att_activation,
                   bn_eps=bn_eps, dice_eps=dice_eps)
        if gru_type == "GRU":
            self.attention = Attention(**att)
            self.interest_evolution = nn.GRU(input_size=input_size, hidden_size=input_size,
                                             batch_first=True, bidirectional=False)
        elif gru_type == "AIGRU":
            self.attention = Attention(return_scores=True, **att)
            self.interest_evolution = nn.GRU(input_size=input_size, hidden_size=input_size,
                                             batch_first=True, bidirectional=False)
        else:  # AGRU, AUGRU
            self.attention = Attention(return_scores=True, **att)
            self.interest_evolution = DynamicGRU(input_size=input_size, hidden_size=input_size,
                                                 gru_type=gru_type)

    @staticmethod
    def get_last_state(states, keys_length):
        # states [B, T, H]: the state at each row's last valid step
        batch_size, max_seq_length, _ = states.size()
        mask = (torch.arange(max_seq_length, device=keys_length.device).repeat(batch_size, 1)
                == (keys_length.view(-1, 1) - 1))
        return states[mask]

    def cal_auxiliary_loss(self, states, click_seq, noclick_seq, keys_length):
        # states, click_seq, noclick_seq [B, T, H]; keys_length [B]
        batch_size, max_seq_length, embedding_size = states.size()
        mask = (torch.arange(max_seq_length, device=states.device).repeat(batch_size, 1)
                < keys_length.view(-1, 1)).float()
        click_input = torch.cat([states, click_seq], dim=-1)
        noclick_input = torch.cat([states, noclick_seq], dim=-1)
        embedding_size = embedding_size * 2
        click_p = self.auxiliary_net(
            click_input.view(batch_size * max_seq_length, embedding_size)).view(
                batch_size, max_seq_length)[mask > 0].view(-1, 1)
        click_target = torch.ones(click_p.size(), dtype=torch.float, device=click_p.device)
        noclick_p = self.auxiliary_net(
            noclick_input.view(batch_size * max_seq_length, embedding_size)).view(
                batch_size, max_seq_length)[mask > 0].view(-1, 1)
        noclick_target = torch.zeros(noclick_p.size(), dtype=torch.float, device=noclick_p.device)
        return F.binary_cross_entropy(torch.cat([click_p, noclick_p], dim=0),
                                      torch.cat([click_target, noclick_target], dim=0))

    def forward(self, query, keys, keys_length, neg_keys=None):
        # query [B, H]; keys [B, T, H]; keys_length [B]; neg_keys [B, T, H]
        batch_size, max_length, dim = keys.size()
        # FIX(batch=1): the notebook passes keys_length.squeeze(), a 0-d tensor for one row,
        # which pack_padded_sequence rejects; keys_length is already 1-D.
        lengths = keys_length.view(-1).cpu()
        packed_keys = pack_padded_sequence(keys, lengths=lengths, batch_first=True,
                                           enforce_sorted=False)
        packed_interests, _ = self.interest_extractor(packed_keys)

        aloss = None
        if self.gru_type != "GRU" or self.use_negsampling:
            interests, _ = pad_packed_sequence(packed_interests, batch_first=True,
                                               padding_value=0.0, total_length=max_length)
            # The notebook computes this whenever use_negsampling is set; here only when
            # negatives are given (bench: inference with and without it).
            if self.use_negsampling and neg_keys is not None:
                aloss = self.cal_auxiliary_loss(interests[:, :-1, :], keys[:, 1:, :],
                                                neg_keys[:, 1:, :], keys_length - 1)

        if self.gru_type == "GRU":
            packed_interests, _ = self.interest_evolution(packed_interests)
            interests, _ = pad_packed_sequence(packed_interests, batch_first=True,
                                               padding_value=0.0, total_length=max_length)
            outputs = self.attention(query, interests, keys_length)
        elif self.gru_type == "AIGRU":
            scores = self.attention(query, interests, keys_length)
            interests = interests * scores.unsqueeze(-1)
            packed_interests = pack_padded_sequence(interests, lengths=lengths,
                                                    batch_first=True, enforce_sorted=False)
            _, outputs = self.interest_evolution(packed_interests)
            outputs = outputs.squeeze(0)  # FIX(batch=1): was .squeeze() ([1, B, H] -> [B, H])
        else:  # AGRU, AUGRU
            scores = self.attention(query, interests, keys_length)
            packed_interests = pack_padded_sequence(interests, lengths=lengths,
                                                    batch_first=True, enforce_sorted=False)
            packed_scores = pack_padded_sequence(scores, lengths=lengths, batch_first=True,
                                                 enforce_sorted=False)
            outputs, _ = pad_packed_sequence(
                self.interest_evolution(packed_interests, packed_scores), batch_first=True)
            outputs = Interest.get_last_state(outputs, keys_length)
        return outputs, aloss


class AttentionGroup:
    def __init__(self, name, pairs, hidden_layers, activation="dice", att_dropout=0.0,
                 gru_type="AUGRU", gru_dropout=0.0):
        self.name = name
        self.pairs = pairs
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.att_dropout = att_dropout
        self.gru_type = gru_type
        self.gru_dropout = gru_dropout
        self.related_feature_names = set()
        self.neg_feature_names = set()
        for pair in pairs:
            self.related_feature_names.add(pair["ad"])
            self.related_feature_names.add(pair["pos_hist"])
            if "neg_hist" in pair:
                self.related_feature_names.add(pair["neg_hist"])
                self.neg_feature_names.add(pair["neg_hist"])

    def is_attention_feature(self, feature_name):
        return feature_name in self.related_feature_names

    def is_neg_sampling_feature(self, feature_name):
        return feature_name in self.neg_feature_names

    @property
    def pairs_count(self):
        return len(self.pairs)


class DIEN(nn.Module):
    def __init__(self, num_features, cat_features, seq_features, cat_nums, embedding_size,
                 attention_groups, mlp_hidden_layers, mlp_activation="prelu", mlp_dropout=0.0,
                 use_negsampling=False, d_out=1, aux_hidden_layers=(100, 50), bn_eps=1e-5,
                 dice_eps=1e-8):
        super().__init__()
        self.num_features = num_features
        self.cat_features = cat_features
        self.seq_features = seq_features
        self.cat_nums = cat_nums
        self.embedding_size = embedding_size
        self.attention_groups = attention_groups
        self.d_out = d_out
        self.use_negsampling = use_negsampling
        self.aux_hidden_layers = aux_hidden_layers
        self.bn_eps = bn_eps
        self.dice_eps = dice_eps

        # one table per feature (candidate, history and negatives included), pad row 0
        self.embeddings = OrderedDict()
        for feature in cat_features + seq_features:
            self.embeddings[feature] = nn.Embedding(cat_nums[feature], embedding_size,
                                                    padding_idx=0)
            self.add_module(f"embedding:{feature}", self.embeddings[feature])

        total_embedding_sizes = embedding_size * len(cat_features)
        for feature in seq_features:
            if not self.is_neg_sampling_feature(feature):
                total_embedding_sizes += embedding_size

        self.sequence_poolings = OrderedDict()
        for feature in seq_features:
            if not self.is_attention_feature(feature):
                self.sequence_poolings[feature] = MaxPooling(1)
                self.add_module(f"pooling:{feature}", self.sequence_poolings[feature])

        self.attention_poolings = OrderedDict()
        for group in attention_groups:
            self.attention_poolings[group.name] = self.create_attention_fn(group)
            self.add_module(f"attention_pooling:{group.name}", self.attention_poolings[group.name])

        self.mlp = MLP(total_embedding_sizes + len(num_features), mlp_hidden_layers,
                       dropout=mlp_dropout, batchnorm=True, activation=mlp_activation,
                       bn_eps=bn_eps, dice_eps=dice_eps)
        self.final_layer = nn.Linear(mlp_hidden_layers[-1], d_out)
        self.apply(init_weights)

    def forward(self, x):
        number_inputs = [x[feature].view(-1, 1) for feature in self.num_features]

        embeddings = OrderedDict()
        for feature in self.cat_features:
            embeddings[feature] = self.embeddings[feature](x[feature])
        for feature in self.seq_features:
            if not self.is_attention_feature(feature):
                embeddings[feature] = self.sequence_poolings[feature](
                    self.embeddings[feature](x[feature]))

        auxiliary_losses = []
        for group in self.attention_groups:
            query = torch.cat([embeddings[p["ad"]] for p in group.pairs], dim=-1)
            pos_hist = torch.cat([self.embeddings[p["pos_hist"]](x[p["pos_hist"]])
                                  for p in group.pairs], dim=-1)
            keys_length = torch.min(torch.cat(
                [torch.sum(x[p["pos_hist"]] > 0, axis=1).view(-1, 1) for p in group.pairs],
                dim=-1), dim=-1)[0]
            neg_hist = None
            # as the notebook, plus: negatives absent from the batch -> no auxiliary loss
            if self.use_negsampling and all(p["neg_hist"] in x for p in group.pairs):
                neg_hist = torch.cat([self.embeddings[p["neg_hist"]](x[p["neg_hist"]])
                                      for p in group.pairs], dim=-1)
            embeddings[group.name], tmp_loss = self.attention_poolings[group.name](
                query, pos_hist, keys_length, neg_hist)
            if tmp_loss is not None:
                auxiliary_losses.append(tmp_loss)

        emb_concat = torch.cat(number_inputs + list(embeddings.values()), dim=-1)
        output = self.final_layer(self.mlp(emb_concat))

        auxiliary_avg_loss = None
        if auxiliary_losses:
            auxiliary_avg_loss = auxiliary_losses[0]
            for extra in auxiliary_losses[1:]:
                auxiliary_avg_loss = auxiliary_avg_loss + extra
            auxiliary_avg_loss = auxiliary_avg_loss / len(auxiliary_losses)

        if self.d_out == 1:
            output = output.squeeze(-1)  # FIX(batch=1): was .squeeze() ([1, 1] -> a 0-d tensor)
        return output, auxiliary_avg_loss

    def create_attention_fn(self, group):
        return Interest(group.pairs_count * self.embedding_size, gru_type=group.gru_type,
                        gru_dropout=group.gru_dropout, att_hidden_layers=group.hidden_layers,
                        att_dropout=group.att_dropout, att_activation=group.activation,
                        use_negsampling=self.use_negsampling,
                        aux_hidden_layers=self.aux_hidden_layers, bn_eps=self.bn_eps,
                        dice_eps=self.dice_eps)

    def is_attention_feature(self, feature):
        return any(g.is_attention_feature(feature) for g in self.attention_groups)

    def is_neg_sampling_feature(self, feature):
        return any(g.is_neg_sampling_feature(feature) for g in self.attention_groups)


def create_net(num_features, cat_features, seq_features, cat_nums, embedding_size=16,
               attention_hidden=(16, 8), attention_activation="dice", att_dropout=0.1,
               mlp_hidden=(32, 16), mlp_activation="prelu", mlp_dropout=0.25, gru_type="AUGRU",
               use_negsampling=True, aux_hidden=(100, 50), bn_eps=1e-5, dice_eps=1e-8):
    """The notebook's create_net(): defaults are its sizes (embedding 16, attention [16, 8]
    Dice with dropout 0.1, MLP [32, 16] PReLU with dropout 0.25, AUGRU, negative sampling)."""
    # The pair names the negatives even without negative sampling (the golden files' layout:
    # the negatives table exists, stays out of the MLP input, and gets no gradient).
    pair = {"ad": cat_features[cat_features.index("movieId")], "pos_hist": seq_features[1],
            "neg_hist": seq_features[2]}
    groups = [AttentionGroup(name="group1", pairs=[pair], hidden_layers=list(attention_hidden),
                             activation=attention_activation, att_dropout=att_dropout,
                             gru_type=gru_type)]
    return DIEN(num_features=list(num_features), cat_features=list(cat_features),
                seq_features=list(seq_features), cat_nums=dict(cat_nums),
                embedding_size=embedding_size, attention_groups=groups,
                mlp_hidden_layers=list(mlp_hidden), mlp_activation=mlp_activation,
                mlp_dropout=mlp_dropout, use_negsampling=use_negsampling, d_out=1,
                aux_hidden_layers=tuple(aux_hidden), bn_eps=bn_eps, dice_eps=dice_eps)


def make_optimizer(net):
    """The notebook's optimiser: Adam, L2 weight decay added to the gradient (not AdamW)."""
    return torch.optim.Adam(net.parameters(), lr=0.002, weight_decay=0.001)


# =================================================================================================
# parity: one golden-vector file
# =================================================================================================

VALUE_TOLERANCE = 1e-5
GRADIENT_TOLERANCE = 1e-4
SCALE_FLOOR = 0.01  # relative floor as a share of the largest golden gradient (as ParityCheck)


def _tensor(entry):
    return torch.tensor(entry["values"], dtype=torch.float32).reshape(entry["shape"])


def parity(path):
    with open(path) as f:
        golden = json.load(f)
    cfg = golden["config"]
    eps = cfg.get("bn_eps") or {}
    aux_hidden = (100, 50)
    aux_key = "attention_pooling:group1.auxiliary_net.mlp.dense"
    if cfg["use_negsampling"]:  # aux sizes from the state dict (the notebook fixes 100, 50)
        sizes, i = [], 0
        while f"{aux_key}{i}.weight" in golden["state_dict"]:
            sizes.append(golden["state_dict"][f"{aux_key}{i}.weight"]["shape"][0])
            i += 1
        aux_hidden = tuple(sizes)
    net = create_net(cfg["num_features"], cfg["cat_features"], cfg["seq_features"],
                     cfg["cat_nums"], embedding_size=cfg["embedding_size"],
                     attention_hidden=cfg["attention_hidden"],
                     attention_activation=cfg.get("attention_activation", "dice"),
                     att_dropout=0.0, mlp_hidden=cfg["mlp_hidden"],
                     mlp_activation=cfg.get("mlp_activation", "prelu"), mlp_dropout=0.0,
                     gru_type=cfg["gru_type"], use_negsampling=cfg["use_negsampling"],
                     aux_hidden=aux_hidden, bn_eps=eps.get("mlp", 1e-5),
                     dice_eps=eps.get("dice", 1e-8))
    state = OrderedDict((k, _tensor(v)) for k, v in golden["state_dict"].items())
    net.load_state_dict(state, strict=True)

    x = {}
    for k in cfg["num_features"] + ["label"]:
        x[k] = torch.tensor(golden["inputs"][k], dtype=torch.float32)
    for k in cfg["cat_features"] + cfg["seq_features"]:
        x[k] = torch.tensor(golden["inputs"][k], dtype=torch.float64).round().long()

    def aux_diff(ours, theirs):
        if ours is None and theirs is None:
            return 0.0
        if ours is None or theirs is None:
            return math.inf
        return abs(float(ours) - theirs)

    net.eval()
    with torch.no_grad():
        logits, aloss = net(x)
    logit_diff = float((logits.double() - torch.tensor(golden["eval"]["logits"],
                                                        dtype=torch.float64)).abs().max())
    a_diff = aux_diff(aloss, golden["eval"]["aux_loss"])

    net.train()
    net.zero_grad(set_to_none=True)
    logits, aloss = net(x)
    bce = F.binary_cross_entropy_with_logits(logits, x["label"])
    loss = bce + aloss if aloss is not None else bce
    loss.backward()
    ts = golden["train_step"]
    logit_diff = max(logit_diff, float((logits.detach().double() - torch.tensor(
        ts["logits"], dtype=torch.float64)).abs().max()))
    a_diff = max(a_diff, aux_diff(None if aloss is None else aloss.item(), ts["aux_loss"]))
    loss_diff = abs(loss.item() - ts["loss"])

    ours = {n: p.grad for n, p in net.named_parameters() if p.grad is not None}
    theirs = {n: _tensor(g) for n, g in ts["grads"].items()}
    global_scale = max(float(g.abs().max()) for g in theirs.values())
    worst, worst_name = 0.0, ""
    for name in sorted(set(ours) | set(theirs)):
        if name not in ours or name not in theirs or ours[name].shape != theirs[name].shape:
            d = math.inf
        else:
            scale = max(float(theirs[name].abs().max()), SCALE_FLOOR * global_scale)
            d = float((ours[name].double() - theirs[name].double()).abs().max()) / scale
        if d > worst or not worst_name:
            worst, worst_name = max(worst, d), name
    report = OrderedDict(
        file=os.path.basename(path), max_abs_logit_diff=logit_diff, aux_loss_diff=a_diff,
        train_loss_diff=loss_diff, max_rel_grad_diff=worst, worst_grad=worst_name)
    report["passed"] = (logit_diff <= VALUE_TOLERANCE and a_diff <= VALUE_TOLERANCE
                        and loss_diff <= VALUE_TOLERANCE and worst <= GRADIENT_TOLERANCE)
    print(json.dumps(report))
    return 0 if report["passed"] else 1


# =================================================================================================
# bench: the workload of `./ctr bench model` (ModelBenchmark.java)
# =================================================================================================


class JavaRandom:
    """java.util.Random, so that the random rows (and thus the vocabularies the encoder fits)
    are exactly ModelBenchmark's for the same seed."""

    MULT = 0x5DEECE66D
    MASK = (1 << 48) - 1

    def __init__(self, seed):
        self.seed = (seed ^ self.MULT) & self.MASK

    def next(self, bits):
        self.seed = (self.seed * self.MULT + 0xB) & self.MASK
        r = self.seed >> (48 - bits)
        return r - (1 << 32) if r >= (1 << 31) else r

    def next_int(self, bound):
        if bound & -bound == bound:
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):
                return val

    def next_boolean(self):
        return self.next(1) != 0


# MovieLens-1M sizes, as ModelBenchmark: rated movies, zip codes, occupations, genres.
MOVIES, ZIPS, OCCUPATIONS, GENRES, USERS = 3706, 3439, 21, 18, 6040
AGES = (1, 18, 25, 35, 45, 50, 56)
HISTORY_LENGTH, GENRES_LENGTH = 10, 6
NUM_FEATURES = ["age"]
CAT_FEATURES = ["gender", "movieId", "occupation", "zipCode"]
SEQ_FEATURES = ["genres", "histHighRatedMovieIds", "negHistMovieIds"]


def random_rows(n, r):
    """ModelBenchmark.randomRows: full 10-entry histories and negatives, 1-3 genres."""
    rows = []
    for _ in range(n):
        hist, neg = [], []
        for _ in range(10):
            hist.append("m%d" % r.next_int(MOVIES))
            neg.append("m%d" % r.next_int(MOVIES))
        genres = ["g%d" % r.next_int(GENRES) for _ in range(1 + r.next_int(3))]
        r.next_int(USERS)  # user id (not a model feature)
        age = AGES[r.next_int(len(AGES))]
        gender = "F" if r.next_boolean() else "M"
        occupation = str(r.next_int(OCCUPATIONS))
        zip_code = "z%d" % r.next_int(ZIPS)
        movie = "m%d" % r.next_int(MOVIES)
        rows.append(dict(age=age, gender=gender, occupation=occupation, zipCode=zip_code,
                         movieId=movie, genres=genres, histHighRatedMovieIds=hist,
                         negHistMovieIds=neg))
    return rows


class Encoder:
    """FeatureEncoder with min count 1: per column, terms by descending count then name from 1,
    0 the pad and the last index __UNKNOWN__; age through a 1000-quantile uniform transform."""

    def __init__(self, rows):
        self.vocab = {}
        for col in CAT_FEATURES + SEQ_FEATURES:
            counts = {}
            for row in rows:
                values = row[col] if isinstance(row[col], list) else [row[col]]
                if col == "genres":
                    values = values[:GENRES_LENGTH]
                for v in values:
                    counts[v] = counts.get(v, 0) + 1
            terms = sorted(counts, key=lambda t: (-counts[t], t))
            self.vocab[col] = {t: i + 1 for i, t in enumerate(terms)}
        ages = np.array([row["age"] for row in rows], dtype=np.float64)
        self.references = np.linspace(0, 1, 1000)
        self.quantiles = np.percentile(ages, self.references * 100)

    def size(self, col):
        return len(self.vocab[col]) + 2

    def index(self, col, term):
        v = self.vocab[col]
        return v.get(term, len(v) + 1)

    def age(self, values):
        x = np.asarray(values, dtype=np.float64)
        q, ref = self.quantiles, self.references
        # scikit-learn's QuantileTransformer: the mean of the forward and backward interpolation
        return 0.5 * (np.interp(x, q, ref) - np.interp(-x, -q[::-1], -ref[::-1]))

    def encode(self, rows, labels=None):
        b = len(rows)
        x = {"age": torch.tensor(self.age([r["age"] for r in rows]), dtype=torch.float32)}
        for col in CAT_FEATURES:
            x[col] = torch.tensor([self.index(col, r[col]) for r in rows], dtype=torch.long)
        for col, length in (("genres", GENRES_LENGTH), ("histHighRatedMovieIds", HISTORY_LENGTH),
                            ("negHistMovieIds", HISTORY_LENGTH)):
            ids = np.zeros((b, length), dtype=np.int64)
            for i, r in enumerate(rows):
                seq = r[col][:length] if col == "genres" else r[col][-length:]
                ids[i, :len(seq)] = [self.index(col, t) for t in seq]
            x[col] = torch.from_numpy(ids)
        if labels is not None:
            x["label"] = torch.tensor(labels, dtype=torch.float32)
        return x


def _median(values):
    return statistics.median(values) if values else float("nan")


def measure(call, batch, warmup, repeats, min_seconds):
    """ModelBenchmark.measure: warm-up of at least `warmup` calls, min_seconds of wall time and
    min_seconds of this thread's CPU time; then `repeats` timed runs of at least min_seconds.
    Returns medians of rows per wall second and rows per process CPU second."""
    i = 0
    w = 0
    t0, c0 = time.perf_counter(), time.thread_time()
    while (w < warmup or time.perf_counter() - t0 < min_seconds
           or time.thread_time() - c0 < min_seconds):
        call(i)
        i += 1
        w += 1
    rates, cpu_rates = [], []
    for _ in range(repeats):
        calls = 0
        cpu0 = time.process_time()
        start = time.perf_counter()
        while True:
            call(i)
            i += 1
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        cpu = time.process_time() - cpu0
        rates.append(calls * batch / elapsed)
        cpu_rates.append(calls * batch / cpu if cpu > 0 else float("nan"))
    return _median(rates), _median(cpu_rates)


def blas_library():
    """The BLAS shared object torch loaded (it matters: netlib BLAS is several times slower)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(os.path.realpath(p) for p in libs) or ["none"]
    except OSError:
        return ["unknown"]


def bench(args):
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already started; it only matters for inter-op parallel work, none here
    torch.set_grad_enabled(True)

    rng = JavaRandom(args.seed)
    encoder = Encoder(random_rows(args.fit_rows, rng))
    cat_nums = {c: encoder.size(c) for c in CAT_FEATURES + SEQ_FEATURES}

    def new_net():
        torch.manual_seed(args.seed)
        return create_net(NUM_FEATURES, CAT_FEATURES, SEQ_FEATURES, cat_nums)

    rng = JavaRandom(args.seed + 1)
    inference, inference_cpu = OrderedDict(), OrderedDict()
    with_aux, with_aux_cpu = OrderedDict(), OrderedDict()
    net = new_net()
    params = sum(p.numel() for p in net.parameters())
    net.eval()
    for b in args.batches:
        rows = [random_rows(b, rng) for _ in range(4)]
        full = [encoder.encode(r) for r in rows]
        # As the Java serves: the network alone, no negatives, so no auxiliary loss.
        served = [{k: v for k, v in x.items() if k != "negHistMovieIds"} for x in full]

        def infer(i, batches=served):
            with torch.no_grad():
                torch.sigmoid(net(batches[i % 4])[0])

        inference[b], inference_cpu[b] = measure(infer, b, args.warmup, args.repeats,
                                                 args.seconds)
        if args.aux_inference:
            # As the notebook's predict() runs: negatives in the batch, auxiliary loss computed.
            def infer_aux(i, batches=full):
                with torch.no_grad():
                    torch.sigmoid(net(batches[i % 4])[0])

            with_aux[b], with_aux_cpu[b] = measure(infer_aux, b, args.warmup, args.repeats,
                                                   args.seconds)
        progress(args, f"inference b={b}: {inference[b]:.0f} rows/s")

    training, training_cpu = OrderedDict(), OrderedDict()
    loss_fn = nn.BCEWithLogitsLoss()
    for b in args.train_batches:
        net = new_net()
        net.train()
        optimizer = make_optimizer(net)
        batches = []
        for _ in range(4):
            rows = random_rows(b, rng)
            labels = [1.0 if rng.next_int(100) < 58 else 0.0 for _ in rows]
            batches.append(encoder.encode(rows, labels))

        def train_step(i):
            x = batches[i % 4]
            preds, aloss = net(x)
            loss = loss_fn(preds, x["label"]) + aloss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            return loss.item()

        training[b], training_cpu[b] = measure(train_step, b, args.warmup, args.repeats,
                                               args.seconds)
        progress(args, f"training b={b}: {training[b]:.0f} rows/s")

    def rounded(d):
        return OrderedDict((str(k), round(v)) for k, v in d.items())

    out = OrderedDict()
    out["inference"] = rounded(inference)
    out["training"] = rounded(training)
    if args.aux_inference:
        out["inferenceWithAux"] = rounded(with_aux)
    out["perProcessCpuSecond"] = OrderedDict(inference=rounded(inference_cpu),
                                             training=rounded(training_cpu))
    if args.aux_inference:
        out["perProcessCpuSecond"]["inferenceWithAux"] = rounded(with_aux_cpu)
    out["threads"] = torch.get_num_threads()
    out["interopThreads"] = torch.get_num_interop_threads()
    out["torch"] = torch.__version__
    out["blas"] = blas_library()
    out["openblasThreads"] = os.environ.get("OPENBLAS_NUM_THREADS")
    out["parameters"] = params
    out["repeats"] = args.repeats
    out["warmup"] = args.warmup
    out["secondsPerRepeat"] = args.seconds
    out["historyLength"] = HISTORY_LENGTH
    out["movies"] = cat_nums["movieId"]
    out["vocabularies"] = cat_nums
    try:
        out["loadAverageAfter"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    print(json.dumps(out))
    return 0


def progress(args, line):
    if not args.quiet:
        print(line, file=sys.stderr, flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    pp = sub.add_parser("parity", help="check against one golden-vector file")
    pp.add_argument("golden", nargs="+")
    pb = sub.add_parser("bench", help="rows/s with the workload of ./ctr bench model")
    pb.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    pb.add_argument("--repeats", type=int, default=5, help="timed runs, median (default 5)")
    pb.add_argument("--warmup", type=int, default=10, help="untimed calls first (default 10)")
    pb.add_argument("--seconds", type=float, default=0.5, help="min seconds per run (0.5)")
    pb.add_argument("--batches", default="1,32,256,1024", help="inference batch sizes")
    pb.add_argument("--train-batches", default="128,1024", help="training batch sizes")
    pb.add_argument("--seed", type=int, default=42)
    pb.add_argument("--fit-rows", type=int, default=20000, help="rows the encoder is fitted on")
    pb.add_argument("--no-aux-inference", dest="aux_inference", action="store_false",
                    help="skip the extra inference run with the auxiliary loss (as written)")
    pb.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    if args.command == "parity":
        return max(parity(g) for g in args.golden)
    args.batches = [int(s) for s in args.batches.split(",") if s]
    args.train_batches = [int(s) for s in args.train_batches.split(",") if s]
    if (args.threads < 1 or args.repeats < 1 or args.warmup < 0 or args.seconds < 0
            or min(args.batches, default=1) < 1 or min(args.train_batches, default=2) < 2):
        p.error("threads, repeats, batches must be > 0; training batches >= 2 (BatchNorm)")
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
