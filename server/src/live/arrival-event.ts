/** Scan → ArrivalEvent (what the console sees), pure. The NIK leaves the server only masked. */
import { healthStatus, maskNik, type ArrivalEvent, type Scan } from '@sk/protocol';
import { memoPerOwner } from '@sk/protocol/memo';
import type { Regions } from '@sk/protocol/regions';

// The origin regency (code and name) per first four NIK digits, remembered: building `35.10` and
// looking it up by that fresh string for every scan showed in the hot-path profile (issue 5).
// Per regions object (static data), bounded by the 10,000 possible prefixes.
const regencyMemo = memoPerOwner<Regions, { code: string; name: string | null }>(10_000);

function originRegency(nik: string, regions: Regions): { code: string; name: string | null } {
  return regencyMemo(regions, nik.slice(0, 4), () => {
    const code = `${nik.slice(0, 2)}.${nik.slice(2, 4)}`;
    return { code, name: regions.regency(code) ?? null };
  });
}

export function toArrivalEvent(scan: Scan, eventId: number, receivedAt: string, regions: Regions, feverC: number): ArrivalEvent {
  const village = regions.village(scan.destinationVillageCode);
  const regency = originRegency(scan.nik, regions);
  // A known village carries its district (the same `35.10.21` prefix of its code); look up only otherwise.
  const districtCode = village ? village.districtCode : scan.destinationVillageCode.slice(0, 8);
  const districtName = village ? village.districtName || null : regions.district(districtCode) ?? null;
  return {
    eventId,
    scanId: scan.scanId,
    checkpointId: scan.checkpointId,
    deviceId: scan.deviceId,
    scannedAt: scan.scannedAt,
    receivedAt,
    nikMasked: maskNik(scan.nik),
    name: scan.name,
    sex: scan.sex,
    birthDate: scan.birthDate,
    originAddress: scan.originAddress,
    originRegencyCode: regency.code,
    originRegencyName: regency.name,
    destinationVillageCode: scan.destinationVillageCode,
    destinationVillageName: village?.name ?? null,
    destinationDistrictCode: districtCode,
    destinationDistrictName: districtName,
    health: scan.health,
    healthStatus: healthStatus(scan.health, feverC),
  };
}
