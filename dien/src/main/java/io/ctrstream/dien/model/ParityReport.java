package io.ctrstream.dien.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * How far this port is from one golden-vector file of the reference (see {@link ParityCheck}).
 *
 * @param file the golden file checked
 * @param maxAbsLogitDiff max |ours - golden| over the eval and the train-step logits
 * @param auxLossDiff max |ours - golden| of the eval and train-step auxiliary loss (0 when both
 *     have none; infinite when only one side has one)
 * @param trainLossDiff |ours - golden| of the train-step loss (bce + aux)
 * @param maxRelGradDiff max over parameters of the relative gradient difference {@link ParityCheck}
 *     defines; infinite when the two sides disagree about which parameters have a gradient
 * @param worstGradient the parameter with the largest relative gradient difference
 * @param passed whether every figure is within {@link ParityCheck}'s tolerances
 */
@JsonPropertyOrder({
  "file", "max_abs_logit_diff", "aux_loss_diff", "train_loss_diff", "max_rel_grad_diff",
  "worst_gradient", "passed"
})
public record ParityReport(
    @JsonProperty("file") String file,
    @JsonProperty("max_abs_logit_diff") double maxAbsLogitDiff,
    @JsonProperty("aux_loss_diff") double auxLossDiff,
    @JsonProperty("train_loss_diff") double trainLossDiff,
    @JsonProperty("max_rel_grad_diff") double maxRelGradDiff,
    @JsonProperty("worst_gradient") String worstGradient,
    @JsonProperty("passed") boolean passed) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The report as one line of JSON (infinite differences are written as strings). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a ParityReport always serialises", e);
    }
  }
}
